"""GET requests.{fmt} (every filter, defaults, paging, public vs client view, query counts) and
GET requests/{id}.{fmt}."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hazards import conf as hazards_conf
from hazards.core.lifecycle import hazard_transition
from hazards.models import Hazard, Status
from tests.open311.conftest import BASE, INSIDE, json_errors, parse_xml, validate, xml_errors

FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    document = response.json()
    validate("requests.json", document)
    return [item["service_request_id"] for item in document]


def xml_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    root = parse_xml(response, "service_requests")
    for request in root:
        assert request.tag == "request" and [c.tag for c in request] == FIELDS
    return [r.findtext("service_request_id") for r in root]


def aged(hazard, days: float):
    Hazard.objects.filter(pk=hazard.pk).update(created_at=timezone.now() - timedelta(days=days))
    return hazard


def closed(hazard, note="cleared by volunteers"):
    for status in ("triaged", "dispatched", "in_progress", "rectified", "verified", "closed"):
        hazard = hazard_transition(hazard_id=hazard.pk, actor=None, to_status=status, note=note)
    return hazard


@pytest.fixture
def three(report):
    """A gas report (open), a wiring report (closed), a rejected fire-passage report, oldest first."""
    gas = aged(report(category="gas-safety", description="gas bottle by the stove"), 3)
    wiring = aged(closed(report(category="electrical-wiring")), 2)
    passage = report(category="fire-passage")
    hazard_transition(hazard_id=passage.pk, actor=None, to_status=Status.REJECTED, note="not a hazard")
    aged(passage, 1)
    return gas, wiring, passage


def test_list_newest_first_mapped_as_the_spec_says(web, three):
    gas, wiring, passage = three
    response = web.get(BASE + "requests.json")
    assert ids(response) == [str(passage.pk), str(wiring.pk), str(gas.pk)]
    items = {item["service_request_id"]: item for item in response.json()}
    assert all(list(item) == FIELDS for item in items.values())
    g, w, p = items[str(gas.pk)], items[str(wiring.pk)], items[str(passage.pk)]
    assert (g["status"], w["status"], p["status"]) == ("open", "closed", "closed")
    assert w["status_notes"] == "cleared by volunteers" and p["status_notes"] == "not a hazard"
    assert g["status_notes"] is None
    assert g["service_code"] == "gas-safety" and g["service_name"] == "Gas safety"
    assert g["requested_datetime"].endswith("+08:00") and g["updated_datetime"].endswith("+08:00")
    assert g["expected_datetime"].endswith("+08:00") and w["expected_datetime"] is None
    assert isinstance(g["lat"], float) and isinstance(g["long"], float)
    assert g["agency_responsible"] == f"{gas.grid.name} / {gas.community.name}"


def test_public_view_hides_what_the_public_pages_hide(web, three, key):
    gas, _wiring, _passage = three
    (item,) = web.get(BASE + f"requests/{gas.pk}.json").json()
    decimals = hazards_conf.public_coordinate_decimals()
    assert item["lat"] == round(INSIDE[0], decimals) and item["long"] == round(INSIDE[1], decimals)
    assert item["description"] is None and item["address"] is None and item["media_url"] is None
    # another client's key does not open someone else's report either
    _client, raw = key
    assert web.get(BASE + f"requests/{gas.pk}.json", {"api_key": raw}).json()[0]["description"] is None


def test_public_detail_setting_publishes_everything(web, three, settings):
    settings.OPEN311_PUBLIC_DETAIL = True
    gas, _wiring, _passage = three
    (item,) = web.get(BASE + f"requests/{gas.pk}.json").json()
    assert item["description"] == "gas bottle by the stove" and item["lat"] == INSIDE[0]


def test_list_xml(web, three):
    gas, wiring, passage = three
    response = web.get(BASE + "requests.xml")
    assert xml_ids(response) == [str(passage.pk), str(wiring.pk), str(gas.pk)]
    request = parse_xml(response, "service_requests").find("request")
    assert request.findtext("status") == "closed" and request.findtext("address_id") == ""


def test_filter_service_request_id_comma_list_overrides_the_others(web, three):
    gas, wiring, passage = three
    aged(gas, 400)  # outside the default window: an explicit id still finds it
    query = {
        "service_request_id": f"{gas.pk}, {wiring.pk},999999,abc",
        "status": "open",
        "service_code": "fire-passage",
    }
    assert ids(web.get(BASE + "requests.json", query)) == [str(wiring.pk), str(gas.pk)]
    assert xml_ids(web.get(BASE + "requests.xml", query)) == [str(wiring.pk), str(gas.pk)]


def test_filter_service_code_comma_list(web, three):
    gas, wiring, passage = three
    query = {"service_code": "gas-safety,fire-passage"}
    assert ids(web.get(BASE + "requests.json", query)) == [str(passage.pk), str(gas.pk)]
    assert xml_ids(web.get(BASE + "requests.xml", {"service_code": "electrical-wiring"})) == [str(wiring.pk)]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_filter_unknown_service_code_is_404(web, three, fmt):
    response = web.get(BASE + f"requests.{fmt}", {"service_code": "gas-safety,nope,zilch"})
    errors = json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)
    assert len(errors) == 2 and "nope" in errors[0] and "zilch" in errors[1]


def test_filter_status(web, three):
    gas, wiring, passage = three
    assert ids(web.get(BASE + "requests.json", {"status": "open"})) == [str(gas.pk)]
    assert ids(web.get(BASE + "requests.json", {"status": "closed"})) == [str(passage.pk), str(wiring.pk)]
    assert len(ids(web.get(BASE + "requests.json", {"status": "open,closed"}))) == 3
    assert xml_ids(web.get(BASE + "requests.xml", {"status": "CLOSED"})) == [str(passage.pk), str(wiring.pk)]


def test_filter_dates(web, three):
    gas, wiring, passage = three
    now = timezone.localtime()
    iso = lambda days: (now - timedelta(days=days)).replace(microsecond=0).isoformat()  # noqa: E731
    assert ids(web.get(BASE + "requests.json", {"start_date": iso(2.5)})) == [str(passage.pk), str(wiring.pk)]
    assert ids(web.get(BASE + "requests.json", {"end_date": iso(1.5)})) == [str(wiring.pk), str(gas.pk)]
    both = {"start_date": iso(2.5), "end_date": iso(1.5)}
    assert ids(web.get(BASE + "requests.json", both)) == [str(wiring.pk)]
    assert xml_ids(web.get(BASE + "requests.xml", both)) == [str(wiring.pk)]
    # combined with the other filters
    assert ids(web.get(BASE + "requests.json", {**both, "status": "open"})) == []


def test_default_window_is_the_last_90_days(web, three):
    gas, wiring, passage = three
    aged(gas, 91)
    assert str(gas.pk) not in ids(web.get(BASE + "requests.json"))
    old = (timezone.localtime() - timedelta(days=100)).replace(microsecond=0).isoformat()
    assert str(gas.pk) in ids(web.get(BASE + "requests.json", {"start_date": old}))


@pytest.mark.parametrize(
    "query, word",
    [
        ({"start_date": "last tuesday"}, "start_date"),
        ({"end_date": "2026-02-30T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-11-23T00:00:00+08:00", "end_date": "2026-11-01T00:00:00+08:00"}, "after"),
        ({"status": "pending"}, "pending"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "1000"),
        ({"page_size": "ten"}, "page_size"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_filters_are_400(web, three, query, word, fmt):
    response = web.get(BASE + f"requests.{fmt}", query)
    errors = json_errors(response, 400) if fmt == "json" else xml_errors(response, 400)
    assert any(word in e for e in errors), errors


def test_bad_dates_and_status_are_reported_together(web, db):
    errors = json_errors(web.get(BASE + "requests.json", {"start_date": "x", "end_date": "y", "status": "z"}), 400)
    assert len(errors) == 3


def test_bad_api_key_on_get_is_403(web, db):
    json_errors(web.get(BASE + "requests.json", {"api_key": "nope"}), 403)
    xml_errors(web.get(BASE + "requests/1.xml", {"api_key": "nope"}), 403)


def test_paging_extension(web, report):
    made = [report(description=f"report {n}") for n in range(5)]
    newest_first = [str(h.pk) for h in reversed(made)]
    assert ids(web.get(BASE + "requests.json", {"page_size": "2"})) == newest_first[:2]
    assert ids(web.get(BASE + "requests.json", {"page_size": "2", "page": "3"})) == newest_first[4:]
    assert xml_ids(web.get(BASE + "requests.xml", {"page_size": "2", "page": "2"})) == newest_first[2:4]
    assert ids(web.get(BASE + "requests.json", {"page": "9"})) == []


def test_at_most_1000_by_default(web, report, monkeypatch):
    from govern.open311 import conf

    made = [report(description=f"report {n}") for n in range(4)]
    assert len(ids(web.get(BASE + "requests.json"))) == len(made)
    monkeypatch.setattr(conf, "MAX_RESULTS", 3)  # the cap, scaled down
    assert len(ids(web.get(BASE + "requests.json"))) == 3
    json_errors(web.get(BASE + "requests.json", {"page_size": "4"}), 400)


def test_request_by_id_is_a_list_of_one(web, three, key):
    gas, _wiring, _passage = three
    assert ids(web.get(BASE + f"requests/{gas.pk}.json")) == [str(gas.pk)]
    assert xml_ids(web.get(BASE + f"requests/{gas.pk}.xml")) == [str(gas.pk)]


@pytest.mark.parametrize("request_id", ["999999", "abc", "99999999999999999999999"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_id_is_404(web, db, request_id, fmt):
    response = web.get(BASE + f"requests/{request_id}.{fmt}")
    errors = json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)
    assert request_id in errors[0]


def test_query_count_is_constant(web, report, key, django_assert_max_num_queries):
    from hazards.models import HazardPhoto

    client, raw = key

    def add(n):
        for i in range(n):
            hazard = report(description=f"r{i}", api_client=client)
            # a photo row on each (files are not needed to count queries)
            HazardPhoto.objects.create(
                hazard=hazard,
                image=f"x/{hazard.pk}-l.jpg",
                medium="m",
                thumb="t",
                sha256="0",
                upload_sha256="0",
                phash="0" * 16,
                original_format="JPEG",
            )

    add(2)
    # One more than the key lookup alone: whether the key is a sensor key (refused; issue 21 item 15).
    with django_assert_max_num_queries(5) as small:
        assert len(ids(web.get(BASE + "requests.json", {"api_key": raw, "service_code": "electrical-wiring"}))) == 2
    add(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = web.get(BASE + "requests.xml", {"api_key": raw, "service_code": "electrical-wiring"})
        assert len(xml_ids(response)) == 22
    assert response.content.count(b"/media/x/") == 22
