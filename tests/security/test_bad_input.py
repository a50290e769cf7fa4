"""Bad input against the writing endpoints: a clear 4xx naming the field, or a correct acceptance.

Never a 500, never half-written: on refusal the row counts and MEDIA_ROOT are exactly as before.
Runs in both CI passes (NUL bytes matter on PostgreSQL, which refuses them in text columns).
"""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from hazards.models import Hazard, HazardPhoto
from rewards.models import Redemption
from tests.conftest import client_for
from tests.hazards.images import jpeg_bytes
from tests.security import corpus
from tests.security.summary import record
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def stored(root) -> dict[str, bytes]:
    out = {}
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                out[path] = handle.read()
    return out


def counts() -> tuple[int, ...]:
    return (Hazard.objects.count(), HazardPhoto.objects.count(), Volunteer.objects.count(), Redemption.objects.count())


@pytest.fixture
def demo(db, grid):
    """A small world (not seed_demo: ~80 cases must stay fast): categories, a grid, coupons, actors."""
    from govern.roles import GRID_WORKER, MERCHANT_STAFF, RESIDENT
    from hazards.demo import seed_categories, seed_rules
    from rewards.ledger import points_adjust
    from tests.factories import UserFactory
    from tests.rewards.conftest import make_coupon, make_merchant

    seed_rules(seed_categories())
    worker = UserFactory(roles=[GRID_WORKER])
    grid.workers.add(worker)
    resident = UserFactory(roles=[RESIDENT])
    staff = UserFactory(roles=[MERCHANT_STAFF])
    make_coupon(make_merchant(staff=[staff]), cost=10)
    points_adjust(user_id=resident.pk, amount=100, reason="bad-input funding", actor=None)
    return {"grid1": worker, "resident1": resident, "merchant1": staff}


def form(demo, **overrides) -> dict:
    grid = demo["grid1"].grids.get()
    data = {
        "category": "gas-safety",
        "description": "液化气罐",
        "latitude": str(grid.min_latitude + 0.004),
        "longitude": str(grid.min_longitude + 0.004),
        "address": "老街",
        "contact_phone": "13812345678",
    }
    data.update(overrides)
    data.setdefault("photos", [SimpleUploadedFile("ok.jpg", jpeg_bytes(size=(160, 120)), "image/jpeg")])
    return data


def check_refusal_or_acceptance(response, *, field: str, before: tuple, files_before: dict, media_root) -> str:
    """Returns "refused" or "accepted"; asserts the contract for each."""
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert response.status_code in (400, 413, 422), response.status_code
        body = response.json()
        assert body["detail"], body
        assert field in body.get("errors", {}) or field in body["detail"], body
        assert counts() == before, "half-written rows after a refusal"
        assert stored(media_root) == files_before, "files left in MEDIA_ROOT after a refusal"
        return "refused"
    assert response.status_code in (200, 201), response.status_code
    return "accepted"


@pytest.fixture
def tally():
    result = {"tried": 0, "passed": 0}
    yield result


@pytest.mark.parametrize("name", list(corpus.PHOTOS))
def test_photo_corpus(name, demo, media_root):
    filename, data, content_type, expected = corpus.PHOTOS[name]
    before, files_before = counts(), stored(media_root)
    upload = SimpleUploadedFile(filename, data, content_type)
    response = client_for(demo["resident1"]).post("/api/v1/hazards/", form(demo, photos=[upload]), format="multipart")
    record("3 bad input: photos", tried=1, passed=0)
    outcome = check_refusal_or_acceptance(
        response, field="photos", before=before, files_before=files_before, media_root=media_root
    )
    assert outcome == ("accepted" if expected == "accept" else "refused"), (name, response.content[:300])
    if outcome == "accepted":
        files = stored(media_root)
        assert files, "accepted photo stored nothing"
        for path, content in files.items():
            assert corpus.PAYLOAD not in content, f"payload reached {path}"
            image = Image.open(io.BytesIO(content))
            assert image.format == "JPEG" and image.mode == "RGB", (path, image.format, image.mode)
            exif = image.getexif()
            assert 0x8825 not in exif and 0x0112 not in exif, "GPS or orientation EXIF survived"
        if name == "EXIF orientation 6":  # 320×240 turned upright: taller than wide
            photo = HazardPhoto.objects.get(hazard_id=response.json()["id"])
            assert photo.height > photo.width
    record("3 bad input: photos", tried=0, passed=1)


def test_oversized_photo_is_refused_before_decoding(demo, media_root, settings):
    settings.HAZARD_PHOTO_MAX_BYTES = 50_000
    before, files_before = counts(), stored(media_root)
    big = SimpleUploadedFile("big.jpg", jpeg_bytes(size=(1600, 1200), quality=100), "image/jpeg")
    assert big.size > 50_000
    response = client_for(demo["resident1"]).post("/api/v1/hazards/", form(demo, photos=[big]), format="multipart")
    record("3 bad input: photos", tried=1, passed=0)
    assert (
        check_refusal_or_acceptance(
            response, field="photos", before=before, files_before=files_before, media_root=media_root
        )
        == "refused"
    )
    record("3 bad input: photos", tried=0, passed=1)


def _text_cases():
    for name, value in corpus.TEXTS.items():
        for field in ("description", "address", "contact_phone"):
            yield pytest.param(field, value, id=f"{field}-{name}")


@pytest.mark.parametrize(("field", "value"), list(_text_cases()))
def test_hazard_text_fields(field, value, demo, media_root):
    before, files_before = counts(), stored(media_root)
    response = client_for(demo["resident1"]).post("/api/v1/hazards/", form(demo, **{field: value}), format="multipart")
    record("3 bad input: hazard fields", tried=1, passed=0)
    outcome = check_refusal_or_acceptance(
        response, field=field, before=before, files_before=files_before, media_root=media_root
    )
    if outcome == "accepted":
        hazard = Hazard.objects.get(pk=response.json()["id"])
        kept = getattr(hazard, field)
        assert "\x00" not in kept
        assert len(kept) <= 2000
    if "\x00" in value or len(value) > 2000:
        assert outcome == "refused", (field, response.content[:200])
    record("3 bad input: hazard fields", tried=0, passed=1)


@pytest.mark.parametrize("name", list(corpus.NUMBERS))
def test_hazard_coordinates(name, demo, media_root):
    field, value = corpus.NUMBERS[name]
    before, files_before = counts(), stored(media_root)
    response = client_for(demo["resident1"]).post("/api/v1/hazards/", form(demo, **{field: value}), format="multipart")
    record("3 bad input: hazard fields", tried=1, passed=0)
    field = "location" if name == "outside every grid" else field  # a valid number, but no grid there
    assert (
        check_refusal_or_acceptance(
            response, field=field, before=before, files_before=files_before, media_root=media_root
        )
        == "refused"
    )
    record("3 bad input: hazard fields", tried=0, passed=1)


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("category wrong type", {"category": ["a", "b"]}),
        ("category unknown", {"category": "no-such-category"}),
        ("category NUL", {"category": "gas\x00safety"}),
        ("latitude object", {"latitude": {"x": 1}}),
        ("latitude bool", {"latitude": True}),  # DRF reads true as 1.0: refused as outside every grid
        ("json null coordinates", {"latitude": None, "longitude": None}),
    ],
)
def test_hazard_json_wrong_types(name, payload, demo, media_root):
    body = form(demo)
    body.pop("photos")
    body.update(payload)
    before, files_before = counts(), stored(media_root)
    response = client_for(demo["resident1"]).post("/api/v1/hazards/", body, format="json")
    record("3 bad input: hazard fields", tried=1, passed=0)
    field = "location" if name == "latitude bool" else next(iter(payload))
    assert (
        check_refusal_or_acceptance(
            response, field=field, before=before, files_before=files_before, media_root=media_root
        )
        == "refused"
    )
    record("3 bad input: hazard fields", tried=0, passed=1)


APPLY_CASES = {
    "real_name NUL": {"real_name": "张\x00三"},
    "real_name huge": {"real_name": "张" * 5000},
    "real_name RTL override": {"real_name": "\u202e三张"},
    "real_name zero-width only": {"real_name": "\u200b\u200b"},
    "phone letters": {"phone": "call-me"},
    "phone NUL": {"phone": "158\x0000001234"},
    "phone huge": {"phone": "1" * 1000},
    "community wrong type": {"community": "lili"},
    "community missing": {"community": 999999},
    "skills wrong type": {"skills": "first-aid"},
    "skills items wrong type": {"skills": ["first-aid", 3]},
    "availability garbage": {"availability": [{"weekday": 9, "start": "25:00", "end": "x"}]},
    "availability not a list": {"availability": "always"},
}


@pytest.mark.parametrize("name", list(APPLY_CASES))
def test_volunteer_apply(name, demo, media_root):
    grid = demo["grid1"].grids.get()
    body = {"real_name": "新志愿者", "phone": "15811110000", "community": grid.community_id, **APPLY_CASES[name]}
    applicant = demo["resident1"]
    before, files_before = counts(), stored(media_root)
    response = client_for(applicant).post("/api/v1/volunteers/", body, format="json")
    record("3 bad input: volunteer apply", tried=1, passed=0)
    field = next(iter(APPLY_CASES[name]))
    outcome = check_refusal_or_acceptance(
        response, field=field, before=before, files_before=files_before, media_root=media_root
    )
    if outcome == "accepted":
        # Odd but printable Unicode (bidi overrides) is kept exactly as sent: pages escape it, and a
        # name is the person's own. NUL and control characters never get this far (refused above).
        volunteer = Volunteer.objects.get(user=applicant)
        assert volunteer.real_name == body["real_name"].strip(), volunteer.real_name
        assert "\x00" not in volunteer.real_name
    record("3 bad input: volunteer apply", tried=0, passed=1)


CODE_CASES = {
    "NUL in code": "ABC\x00DEF",
    "huge code": "A" * 10_000,
    "control characters": "\x07\x1b[31m",
    "RTL override": "\u202eEDOC",
    "number instead of text": 12345,
    "list instead of text": ["a"],
    "empty": "",
}


@pytest.mark.parametrize("name", list(CODE_CASES))
def test_redemption_use_codes(name, demo, media_root):
    before, files_before = counts(), stored(media_root)
    response = client_for(demo["merchant1"]).post("/api/v1/redemptions/use/", {"code": CODE_CASES[name]}, format="json")
    record("3 bad input: redeem/use", tried=1, passed=0)
    assert response.status_code < 500
    # An unknown code is a 404 like any code that is not yours (no oracle); malformed ones a 400.
    assert response.status_code in (400, 404), (response.status_code, response.content[:200])
    if response.status_code == 400:
        assert "code" in response.json().get("errors", {}), response.json()
    assert counts() == before and stored(media_root) == files_before
    record("3 bad input: redeem/use", tried=0, passed=1)


@pytest.mark.parametrize(
    ("name", "key"),
    [("NUL key", "k\x00ey"), ("huge key", "k" * 5000), ("control chars", "\x07\x07"), ("missing", None)],
)
def test_coupon_redeem_idempotency_key(name, key, demo, media_root):
    from rewards.models import Coupon

    coupon = Coupon.objects.order_by("cost").first()
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    before = counts()
    try:
        response = client_for(demo["resident1"]).post(
            f"/api/v1/coupons/{coupon.pk}/redeem/", {}, format="json", **headers
        )
    except ValueError:  # the test client itself refuses some header bytes; a real server never sees them
        pytest.skip("header not sendable")
    record("3 bad input: redeem/use", tried=1, passed=0)
    assert response.status_code == 400, (response.status_code, response.content[:200])
    assert counts() == before
    record("3 bad input: redeem/use", tried=0, passed=1)


def test_anonymous_report_with_hostile_text_still_works(demo, media_root):
    """The anonymous path (no reporter) takes the same checks."""
    response = APIClient().post("/api/v1/hazards/", form(demo, description="\u202e\u200b正常描述"), format="multipart")
    assert response.status_code == 201, response.content[:200]


@pytest.mark.parametrize("query", ["status=%25d", "severity=100%25", "bbox=%25s,1,2,3", "near=%25(x)s", "category=%25"])
def test_percent_signs_in_filters_are_a_400_not_a_500(query, demo):
    """Regression (schemathesis on PostgreSQL): a "%" in a filter value was %-formatted twice."""
    response = client_for(demo["grid1"]).get(f"/api/v1/hazards/?{query}")
    record("3 bad input: query filters", tried=1, passed=0)
    assert response.status_code in (200, 400), (query, response.status_code)
    record("3 bad input: query filters", tried=0, passed=1)
