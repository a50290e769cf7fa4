"""POST requests.{fmt}: a report through hazard_report, attributed to its client; every refusal."""

from __future__ import annotations

import pytest

from govern.models import LiveEvent
from hazards.models import Hazard, HazardPhoto, Source, Status
from tests.hazards.images import jpeg_bytes, upload
from tests.open311.conftest import BASE, INSIDE, OTHER, json_errors, parse_xml, validate, xml_errors


def form(key, **overrides) -> dict:
    data = {
        "api_key": key,
        "service_code": "fire-passage",
        "lat": str(INSIDE[0]),
        "long": str(INSIDE[1]),
        "address_string": "3号楼一单元",
        "description": "Bikes and boxes block the fire passage behind building 3.",
        "email": "li.ming@example.cn",
        "first_name": "Ming",
        "last_name": "Li",
        "phone": "(138) 1234-5678",
        "device_id": "device-42",
        "account_id": "acct-7",
        "attribute[premises_type]": "residence",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_post_json_creates_a_hazard_in_the_right_grid_attributed_to_the_client(web, categories, grid, other_grid, key):
    client, raw = key
    response = web.post(BASE + "requests.json", form(raw, lat=str(OTHER[0]), long=str(OTHER[1])))
    assert response.status_code == 201, response.content
    (created,) = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] == "acct-7"
    hazard = Hazard.objects.get(pk=int(created["service_request_id"]))
    assert hazard.tracking_code in created["service_notice"]
    assert hazard.grid == other_grid and hazard.community_id == other_grid.community_id
    assert hazard.category.slug == "fire-passage" and hazard.status == Status.SUBMITTED
    assert hazard.source == Source.OPEN311 and hazard.api_client == client and hazard.source_client == client.name
    assert hazard.reporter is None and hazard.contact_phone == "13812345678"
    assert hazard.address == "3号楼一单元"
    assert hazard.client_data == {
        "first_name": "Ming",
        "last_name": "Li",
        "device_id": "device-42",
        "account_id": "acct-7",
        "email": "li.ming@example.cn",
        "attributes": {"premises_type": "residence"},
    }
    assert hazard.events.get().to_status == Status.SUBMITTED
    # the same live road as every report: the dispatchers and the grid hear of it
    event = LiveEvent.objects.get(type="hazard.created")
    assert "dispatch" in event.topics and f"grid:{other_grid.pk}" in event.topics
    assert event.data["source"] == "open311"

    # ... and it appears in requests.json and requests.xml, in full for the client that posted it
    listed = web.get(BASE + "requests.json", {"api_key": raw}).json()
    validate("requests.json", listed)
    (item,) = listed
    assert item["service_request_id"] == created["service_request_id"]
    assert item["lat"] == OTHER[0] and item["long"] == OTHER[1]
    assert item["description"] == hazard.description and item["status"] == "open"
    assert item["agency_responsible"] == f"{other_grid.name} / {other_grid.community.name}"
    root = parse_xml(web.get(BASE + "requests.xml"), "service_requests")
    (request,) = root.findall("request")
    assert request.findtext("service_request_id") == created["service_request_id"]
    assert request.findtext("service_code") == "fire-passage" and request.findtext("status") == "open"


def test_post_xml_and_params_in_the_query_string(web, categories, grid, key):
    _client, raw = key
    query = f"api_key={raw}&service_code=gas-safety&lat={INSIDE[0]}&long={INSIDE[1]}&jurisdiction_id=govern"
    response = web.post(BASE + f"requests.xml?{query}", {"description": "Gas bottle next to the stove"})
    assert response.status_code == 201, response.content
    root = parse_xml(response, "service_requests")
    request = root.find("request")
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    hazard = Hazard.objects.get(pk=int(request.findtext("service_request_id")))
    assert hazard.category.slug == "gas-safety" and hazard.description == "Gas bottle next to the stove"
    assert request.findtext("account_id") == ""


def test_severity_attribute_raises_never_lowers(web, categories, grid, key):
    _client, raw = key
    high = web.post(
        BASE + "requests.json", form(raw, **{"service_code": "other", "attribute[severity]": "critical"})
    ).json()
    low = web.post(
        BASE + "requests.json", form(raw, **{"service_code": "fire-passage", "attribute[severity]": "low"})
    ).json()
    assert Hazard.objects.get(pk=high[0]["service_request_id"]).severity == "critical"
    assert Hazard.objects.get(pk=low[0]["service_request_id"]).severity == "high"  # the category's default


def test_description_is_optional_and_may_be_4000_characters(web, categories, grid, key):
    _client, raw = key
    bare = web.post(BASE + "requests.json", form(raw, description=None)).json()
    assert Hazard.objects.get(pk=bare[0]["service_request_id"]).description == "消防通道堵塞 / Blocked fire passage"
    long = web.post(BASE + "requests.json", form(raw, description="路" * 4000))
    assert long.status_code == 201
    assert len(Hazard.objects.get(pk=long.json()[0]["service_request_id"]).description) == 4000


def test_uploaded_media_go_through_the_photo_pipeline_and_win_over_media_url(web, categories, grid, key, media_root):
    _client, raw = key
    data = form(raw, media_url="https://photos.example.org/1.jpg")
    data["media"] = upload("a.jpg", jpeg_bytes(gps=True))
    data["media[]"] = upload("b.jpg", jpeg_bytes(seed=2))
    response = web.post(BASE + "requests.json", data)
    assert response.status_code == 201, response.content
    hazard = Hazard.objects.get(pk=response.json()[0]["service_request_id"])
    photos = list(hazard.photos.all())
    assert len(photos) == 2 and photos[0].original_format == "JPEG"
    assert "media_url" not in hazard.client_data  # the uploads won
    stored = (media_root / photos[0].image.name).read_bytes()
    assert b"TestCam" not in stored and b"secret comment" not in stored  # EXIF and comments dropped
    (item,) = web.get(BASE + f"requests/{hazard.pk}.json", {"api_key": raw}).json()
    validate("requests.json", [item])
    assert item["media_url"] == f"http://testserver/media/{photos[0].image.name}"


def test_media_url_is_kept_as_a_reference_never_fetched(web, categories, grid, key):
    _client, raw = key
    response = web.post(BASE + "requests.json", form(raw, media_url="https://photos.example.org/1.jpg"))
    hazard = Hazard.objects.get(pk=response.json()[0]["service_request_id"])
    assert hazard.client_data["media_url"] == "https://photos.example.org/1.jpg" and not hazard.photos.exists()
    (item,) = web.get(BASE + f"requests/{hazard.pk}.json", {"api_key": raw}).json()
    assert item["media_url"] == "https://photos.example.org/1.jpg"


def test_csrf_is_not_required(categories, grid, key):
    from django.test import Client

    _client, raw = key
    assert Client(enforce_csrf_checks=True).post(BASE + "requests.json", form(raw)).status_code == 201


# --- refusals: the spec's list, the right status, nothing written ---------------------------------

REFUSALS = [
    # (overrides, status, a word the description contains)
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": ""}, 403, "api_key"),
    ({"api_key": "not-a-key"}, 403, "api_key"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "no-such-service"}, 404, "no-such-service"),
    ({"lat": None, "long": None, "address_string": None}, 400, "location"),
    ({"lat": None, "long": None}, 400, "address_string could not be located"),
    ({"lat": None, "long": None, "address_string": None, "address_id": "A-12"}, 400, "address_id"),
    ({"long": None}, 400, "lat and long"),
    ({"lat": "north"}, 400, "decimal numbers"),
    ({"lat": "91"}, 400, "-90..90"),
    ({"lat": "31.5", "long": "121.5"}, 400, "outside the service area"),
    ({"attribute[severity]": "apocalyptic"}, 400, "low, medium, high, critical"),
    ({"attribute[premises_type]": "castle"}, 400, "attribute[premises_type]"),
    ({"attribute[colour]": "red"}, 400, "attribute[colour]"),
    ({"attribute[severity][]": "high"}, 400, "single value"),
    ({"description": "x" * 4001}, 400, "4000"),
    ({"description": "Look <script>alert(1)</script>"}, 400, "plain text"),
    ({"description": "a <b>bold</b> claim"}, 400, "plain text"),
    ({"description": "fish &amp; chips"}, 400, "plain text"),
    ({"email": "not-an-email"}, 400, "email"),
    ({"phone": "call me"}, 400, "phone"),
    ({"first_name": "n" * 101}, 400, "first_name"),
    ({"address_string": "a" * 201}, 400, "address_string"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"media_url": "file:///etc/passwd"}, 400, "media_url"),
    ({"jurisdiction_id": "elsewhere"}, 404, "elsewhere"),
]


@pytest.mark.parametrize("overrides, status, word", REFUSALS)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_refusals(web, categories, grid, key, overrides, status, word, fmt):
    _client, raw = key
    data = form(raw, **{k: v for k, v in overrides.items() if k != "api_key"})
    if "api_key" in overrides:
        data.pop("api_key")
        if overrides["api_key"] is not None:
            data["api_key"] = overrides["api_key"]
    response = web.post(BASE + f"requests.{fmt}", data)
    errors = json_errors(response, status) if fmt == "json" else xml_errors(response, status)
    assert any(word in e for e in errors), errors
    assert not Hazard.objects.exists() and not LiveEvent.objects.filter(type="hazard.created").exists()


def test_several_attribute_errors_at_once(web, categories, grid, key):
    _client, raw = key
    errors = json_errors(
        web.post(BASE + "requests.json", form(raw, **{"attribute[severity]": "x", "attribute[colour]": "red"})), 400
    )
    assert len(errors) == 2


def test_deactivated_client_is_refused(web, categories, grid, key):
    client, raw = key
    client.active = False
    client.save()
    json_errors(web.post(BASE + "requests.json", form(raw)), 403)


def test_a_bad_photo_is_refused_and_nothing_is_written(web, categories, grid, key, media_root):
    _client, raw = key
    data = form(raw)
    data["media"] = upload("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/svg+xml")
    errors = json_errors(web.post(BASE + "requests.json", data), 400)
    assert errors[0].startswith("media: ")
    assert not Hazard.objects.exists() and not HazardPhoto.objects.exists()
    assert not any(media_root.rglob("*.jpg"))


def test_too_many_files_is_a_400_list(web, categories, grid, key, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    _client, raw = key
    data = form(raw)
    data["media"] = [upload(f"{n}.jpg", jpeg_bytes(size=(40, 30), seed=n)) for n in range(3)]
    errors = json_errors(web.post(BASE + "requests.json", data), 400)
    assert "too many files" in errors[0]


def test_the_demo_key_posts(web, categories, grid):
    from govern.demo import DEMO_OPEN311_KEY, seed_api_clients

    seed_api_clients(None)
    seed_api_clients(None)  # idempotent
    response = web.post(BASE + "requests.json", form(DEMO_OPEN311_KEY))
    assert response.status_code == 201, response.content
    assert Hazard.objects.get().api_client.name.startswith("示例第三方应用")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bug_still_answers_the_error_list_never_html(web, categories, monkeypatch, fmt):
    from govern.open311 import selectors

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "service_list", broken)
    response = web.get(BASE + f"services.{fmt}")
    errors = json_errors(response, 500) if fmt == "json" else xml_errors(response, 500)
    assert "boom" not in errors[0]  # internals stay in the log
