"""The photo pipeline: every bad photo is a 400 naming it and the reason, and nothing is stored;
good photos are stored re-encoded without metadata, upright, bounded in size."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from govern.media.hashing import phash_distance
from govern.media.renditions import process_upload
from govern.models import LiveEvent
from hazards import conf
from hazards.models import Hazard, HazardPhoto
from tests.hazards.conftest import report_form, stored_files
from tests.hazards.images import encode, heic_bytes, jpeg_bytes, png_bomb, scene, upload

pytestmark = pytest.mark.django_db

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def _animated(fmt: str) -> bytes:
    frames = [scene((64, 64), seed=s) for s in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def _truncated() -> bytes:
    data = jpeg_bytes(size=(800, 600), seed=9)
    return data[: len(data) // 2]


def _corrupt() -> bytes:
    data = bytearray(jpeg_bytes(size=(400, 300), seed=10))
    for i in range(600, len(data) - 2, 7):  # keep the header, scramble the entropy-coded data
        data[i] = 0xFF if i % 2 else 0xD9
    return bytes(data)


BAD_PHOTOS = {
    "not an image": (lambda: b"hello, this is a text file, not a photo\n" * 10, "notes.jpg", "not an image"),
    "svg": (lambda: SVG, "drawing.svg", "unsupported type (SVG)"),
    "tiff": (lambda: encode(scene((32, 32)), "TIFF"), "scan.tiff", "unsupported type (TIFF)"),
    "pdf": (lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "doc.pdf", "unsupported type (PDF)"),
    "gif": (lambda: encode(scene((32, 32)), "GIF"), "anim.gif", "unsupported type (GIF)"),
    "truncated": (_truncated, "half.jpg", "truncated or corrupt"),
    "corrupt": (_corrupt, "broken.jpg", "truncated or corrupt"),
    "empty": (lambda: b"", "empty.jpg", "empty"),
    "video": (
        lambda: b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64,
        "clip.mp4",
        "unsupported type (a video)",
    ),
    "html": (lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>", "page.jpg", "unsupported type (HTML)"),
    "over 50 megapixels (explicit check)": (lambda: png_bomb(7100, 7100), "big.png", "over 50 megapixels"),
    "decompression bomb (100 megapixels)": (lambda: png_bomb(10_000, 10_000), "bomb.png", "over 50 megapixels"),
    "decompression bomb Pillow refuses (225 megapixels)": (
        lambda: png_bomb(15_000, 15_000),
        "bomb2.png",
        "over 50 megapixels",
    ),
    "animated webp": (lambda: _animated("WEBP"), "moving.webp", "animated"),
    "animated png": (lambda: _animated("PNG"), "moving.png", "animated"),
}


def assert_nothing_stored(media_root):
    assert Hazard.objects.count() == 0
    assert HazardPhoto.objects.count() == 0
    assert not LiveEvent.objects.filter(type="hazard.created").exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize("case", list(BAD_PHOTOS))
def test_each_bad_photo_is_a_400_naming_it_and_nothing_is_stored(case, anon_en, categories, grid, media_root):
    make, name, reason = BAD_PHOTOS[case]
    good = upload("good.jpg", jpeg_bytes(seed=1))
    response = anon_en.post("/api/v1/hazards/", report_form(photos=[good, upload(name, make())]), format="multipart")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"].startswith(f"photo 2 ({name}): "), body
    assert reason in body["detail"]
    assert body["errors"]["photos"] == [body["detail"]]
    assert_nothing_stored(media_root)


def test_over_15_mb_is_refused_before_decoding(anon_en, categories, grid, media_root, monkeypatch):
    import govern.media.checks

    opened = []
    monkeypatch.setattr(govern.media.checks.Image, "open", lambda *a, **k: opened.append(1))
    big = jpeg_bytes(seed=2) + b"\0" * (15 * 1024 * 1024)
    response = anon_en.post("/api/v1/hazards/", report_form(photos=[upload("huge.jpg", big)]), format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"] == "photo 1 (huge.jpg): over 15 MB"
    assert opened == []
    assert_nothing_stored(media_root)


def test_no_photo_and_more_than_six_photos(anon_en, categories, grid, media_root):
    none = anon_en.post("/api/v1/hazards/", report_form(photos=[]), format="multipart")
    assert none.status_code == 400
    assert none.json()["errors"]["photos"] == ["At least one photo is required."]
    seven = [upload(f"p{i}.jpg", jpeg_bytes(size=(64, 48), seed=i)) for i in range(7)]
    many = anon_en.post("/api/v1/hazards/", report_form(photos=seven), format="multipart")
    assert many.status_code == 400
    assert many.json()["detail"] == "At most 6 photos; this report has 7."
    assert_nothing_stored(media_root)


def _stored_images(hazard):
    photo = hazard.photos.get()
    out = {}
    for rendition in ("image", "medium", "thumb"):
        with getattr(photo, rendition).open("rb") as handle:
            out[rendition] = handle.read()
    return photo, out


def test_stored_files_carry_no_exif_gps_or_comments_and_orientation_is_applied(make_hazard, media_root):
    original = jpeg_bytes(size=(640, 480), seed=4, orientation=6, gps=True)
    with Image.open(io.BytesIO(original)) as check:  # the upload really carries the metadata
        assert check.getexif()[0x0112] == 6 and 0x8825 in check.getexif()
    hazard = make_hazard(photos=[upload("rotated.jpg", original)])
    photo, files = _stored_images(hazard)
    assert (photo.width, photo.height) == (480, 640)  # orientation 6: rotated 90° clockwise, upright now
    for data in files.values():
        assert original != data
        assert b"Exif" not in data[:4096] and b"http://ns.adobe.com/xap" not in data and b"secret comment" not in data
        with Image.open(io.BytesIO(data)) as stored:
            assert stored.format == "JPEG"
            assert len(stored.getexif()) == 0
            assert not set(stored.info) & {"exif", "xmp", "icc_profile", "comment", "photoshop"}
            assert stored.height > stored.width
    assert len(stored_files(media_root)) == 3


def test_sizes_hashes_and_draft_decoding_of_a_big_jpeg(make_hazard):
    raw = jpeg_bytes(size=(5200, 2600), seed=5, quality=70)
    hazard = make_hazard(photos=[upload("wide.jpg", raw)])
    photo, files = _stored_images(hazard)
    sizes = {name: Image.open(io.BytesIO(data)).size for name, data in files.items()}
    assert sizes == {"image": (2560, 1280), "medium": (1024, 512), "thumb": (320, 160)}
    assert photo.sha256 == hashlib.sha256(files["image"]).hexdigest()
    assert photo.upload_sha256 == hashlib.sha256(raw).hexdigest()
    assert len(photo.phash) == 16 and photo.original_format == "JPEG"


@pytest.mark.parametrize(
    ("name", "make", "fmt"),
    [
        ("iphone.heic", lambda: heic_bytes(), "HEIF"),
        ("alpha.png", lambda: encode(scene((120, 90)).convert("RGBA"), "PNG"), "PNG"),
        ("palette.png", lambda: encode(scene((120, 90)).convert("P"), "PNG"), "PNG"),
        ("photo.webp", lambda: encode(scene((120, 90)), "WEBP", quality=80), "WEBP"),
        ("cmyk.jpg", lambda: encode(scene((120, 90)).convert("CMYK"), "JPEG"), "JPEG"),
        ("gray.jpg", lambda: encode(scene((120, 90)).convert("L"), "JPEG"), "JPEG"),
    ],
)
def test_accepted_formats_are_stored_as_jpeg(name, make, fmt, make_hazard):
    hazard = make_hazard(photos=[upload(name, make(), "application/octet-stream")])
    photo, files = _stored_images(hazard)
    assert photo.original_format == fmt
    for data in files.values():
        with Image.open(io.BytesIO(data)) as stored:
            assert stored.format == "JPEG" and stored.mode == "RGB"


def test_heic_through_the_api(anon_en, categories, grid):
    response = anon_en.post(
        "/api/v1/hazards/",
        report_form(photos=[upload("IMG_0001.HEIC", heic_bytes(), "image/heic")]),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["photos"][0]["image"].endswith("-l.jpg")


def test_media_urls_serve_only_reencoded_jpeg(client, make_hazard, settings):
    from django.urls import resolve

    # The /media/ route captured its document root at import; store there for this test.
    settings.MEDIA_ROOT = str(resolve("/media/x.jpg").kwargs["document_root"])
    hazard = make_hazard()
    photo = hazard.photos.get()
    for field in (photo.image, photo.medium, photo.thumb):
        assert field.name.endswith(".jpg")
        response = client.get(field.url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert "sandbox" in response["Content-Security-Policy"]


def test_perceptual_hash_is_stable_across_reencoding():
    picture = scene((800, 600), seed=7)
    a = process_upload(upload("a.jpg", encode(picture, "JPEG", quality=90)), limits=conf.photo_limits())
    b = process_upload(upload("b.png", encode(picture.resize((400, 300)), "PNG")), limits=conf.photo_limits())
    c = process_upload(upload("c.jpg", jpeg_bytes(size=(800, 600), seed=8)), limits=conf.photo_limits())
    assert phash_distance(a.phash, b.phash) <= 3
    assert phash_distance(a.phash, c.phash) > 10


def test_files_are_removed_when_the_transaction_fails(make_hazard, media_root, monkeypatch):
    import hazards.reports.services

    make_hazard()  # one good report stays
    before = stored_files(media_root)

    def broken_publish(*args, **kwargs):
        raise RuntimeError("broker exploded")

    monkeypatch.setattr(hazards.reports.services, "publish", broken_publish)
    with pytest.raises(RuntimeError):
        make_hazard(photos=[upload("x.jpg", jpeg_bytes(seed=21)), upload("y.jpg", jpeg_bytes(seed=22))])
    assert Hazard.objects.count() == 1 and HazardPhoto.objects.count() == 1
    assert stored_files(media_root) == before


def test_more_files_than_django_parses_is_still_a_clear_400(anon_en, client, categories, grid, media_root):
    def files():
        return [upload(f"p{i}.jpg", jpeg_bytes(size=(16, 16), seed=i)) for i in range(13)]

    api = anon_en.post("/api/v1/hazards/", report_form(photos=files()), format="multipart")
    assert api.status_code == 400 and api["Content-Type"] == "application/json"
    assert api.json()["errors"]["photos"] == ["Too many files in one report: at most 6 photos."]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.post("/report/", report_form(photos=files()))
    assert page.status_code == 400 and "Too many files in one report" in page.content.decode()
    assert_nothing_stored(media_root)
