"""Units: rendering (JSON/XML shapes, invalid XML characters) and parameter parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest
from django.http import QueryDict
from django.test import RequestFactory

from govern.open311.formats import Open311Error, render, render_error, to_xml
from govern.open311.params import Params, check_jurisdiction, parse_date, w3c


def test_xml_lists_use_item_names_and_booleans():
    xml = to_xml("services", [{"service_code": "a", "metadata": True, "keywords": None}])
    root = ET.fromstring(xml)
    assert root.tag == "services"
    service = root.find("service")
    assert service.findtext("metadata") == "true" and service.findtext("keywords") == ""


def test_xml_drops_characters_xml_cannot_carry():
    xml = to_xml("service_requests", [{"description": "bad\x00\x07byte\ttab"}])
    assert ET.fromstring(xml).find("request").findtext("description") == "bad\ufffd\ufffdbyte\ttab"


def test_render_error_defaults_to_json_and_lists_every_description():
    response = render_error("html", Open311Error(400, "one", "two"))
    assert response.status_code == 400 and response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content.decode() == '[{"code":400,"description":"one"},{"code":400,"description":"two"}]'


def test_render_json_keeps_unicode():
    assert render("json", "x", {"name": "燃气"}).content.decode("utf-8") == '{"name":"燃气"}'


def _post(body: str, query: str = ""):
    return RequestFactory().post(
        "/open311/v2/requests.json" + (f"?{query}" if query else ""),
        body,
        content_type="application/x-www-form-urlencoded",
    )


def test_params_body_wins_and_empty_counts_as_absent():
    params = Params(_post("api_key=&service_code=gas-safety&lat=1", "api_key=q&service_code=x&long=2&lat=9"))
    assert params.get("service_code") == "gas-safety"  # body wins
    assert params.get("api_key") == "q"  # empty in the body: the query's value stands
    assert params.get("lat") == "1" and params.get("long") == "2"
    assert Params(_post("jurisdiction_id=")).get("jurisdiction_id") is None


def test_params_attributes_single_and_multi():
    body = "attribute%5Bseverity%5D=high&attribute%5Btags%5D%5B%5D=a&attribute%5Btags%5D%5B%5D=b&attribute%5Bempty%5D="
    attributes = Params(_post(body, "attribute%5Bseverity%5D=low&attribute%5Bq%5D=1")).attributes()
    assert attributes == {"severity": "high", "tags": ["a", "b"], "q": "1"}


def test_jurisdiction_known_empty_and_unknown():
    check_jurisdiction(Params(RequestFactory().get("/", {"jurisdiction_id": "govern"})))
    check_jurisdiction(Params(RequestFactory().get("/", {"jurisdiction_id": ""})))
    with pytest.raises(Open311Error) as caught:
        check_jurisdiction(Params(RequestFactory().get("/", {"jurisdiction_id": "elsewhere.gov"})))
    assert caught.value.status == 404


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-11-23T10:00:00+08:00", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
        ("2026-11-23T10:00:00 08:00", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),  # '+' decoded as space
        ("2026-11-23T02:00:00Z", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
        ("2026-11-23T10:00:00", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),  # naive: local time
        ("2026-11-23", datetime(2026, 11, 22, 16, 0, tzinfo=UTC)),  # a date: its local midnight
    ],
)
def test_parse_date(raw, expected):
    params = Params(RequestFactory().get("/", QueryDict(f"start_date={raw.replace('+', '%2B')}")))
    assert parse_date(params, "start_date") == expected


@pytest.mark.parametrize("raw", ["yesterday", "2026-13-01T00:00:00Z", "2026-11-23T25:00:00+08:00", "1700000000"])
def test_parse_date_refuses(raw):
    with pytest.raises(Open311Error) as caught:
        parse_date(Params(RequestFactory().get("/", {"end_date": raw})), "end_date")
    assert caught.value.status == 400 and "end_date" in caught.value.descriptions[0]


def test_w3c_has_the_local_offset():
    assert w3c(datetime(2026, 11, 23, 2, 0, 0, 123, tzinfo=UTC)) == "2026-11-23T10:00:00+08:00"
    assert w3c(None) is None
