"""discovery, services, services/{code}, tokens/{token}, unknown paths and wrong methods."""

from __future__ import annotations

import pytest

from hazards.models import Category
from tests.open311.conftest import BASE, json_errors, parse_xml, validate, xml_errors


def test_discovery_json(web, db):
    response = web.get(BASE + "discovery.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    document = response.json()
    assert set(document) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] in ("production", "test")
    assert "text/xml" in endpoint["formats"] and "application/json" in endpoint["formats"]
    assert document["changeset"].endswith("+08:00")


def test_discovery_xml(web, db):
    root = parse_xml(web.get(BASE + "discovery.xml"), "discovery")
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["application/json", "text/xml"]


def test_services_json_lists_every_active_category(web, categories):
    Category.objects.filter(slug="other").update(active=False)
    document = web.get(BASE + "services.json").json()
    validate("services.json", document)
    codes = [s["service_code"] for s in document]
    assert codes == [c.slug for c in Category.objects.filter(active=True).order_by("sort_order", "id")]
    gas = next(s for s in document if s["service_code"] == "gas-safety")
    assert gas["service_name"] == "Gas safety" and gas["metadata"] is True and gas["type"] == "realtime"
    assert "gas leak" in gas["keywords"]  # the triage rules' keywords that point to this service


def test_services_names_follow_the_language(categories):
    from django.test import Client

    document = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(BASE + "services.json").json()
    assert next(s for s in document if s["service_code"] == "gas-safety")["service_name"] == "燃气安全"


def test_services_xml(web, categories):
    root = parse_xml(web.get(BASE + "services.xml"), "services")
    services = root.findall("service")
    assert len(services) == Category.objects.count() == len(list(root))
    first = services[0]
    assert [c.tag for c in first] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") == "true" and first.findtext("type") == "realtime"


def test_service_definition_json(web, categories):
    document = web.get(BASE + "services/gas-safety.json").json()
    validate("service-definition.json", document)
    assert document["service_code"] == "gas-safety"
    attributes = {a["code"]: a for a in document["attributes"]}
    assert set(attributes) == {"severity", "premises_type"}
    assert [v["key"] for v in attributes["severity"]["values"]] == ["low", "medium", "high", "critical"]
    assert attributes["severity"]["datatype"] == "singlevaluelist" and attributes["severity"]["order"] == 1
    assert "restaurant" in [v["key"] for v in attributes["premises_type"]["values"]]


def test_service_definition_xml(web, categories):
    root = parse_xml(web.get(BASE + "services/fire-passage.xml"), "service_definition")
    assert root.findtext("service_code") == "fire-passage"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["severity", "premises_type"]
    assert attributes[0].findtext("variable") == "true" and attributes[0].findtext("required") == "false"
    values = attributes[0].findall("values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values][0] == ("low", "low")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404(web, categories, fmt):
    response = web.get(BASE + f"services/no-such-thing.{fmt}")
    errors = json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)
    assert "no-such-thing" in errors[0]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_tokens_are_unknown(web, db, fmt):
    response = web.get(BASE + f"tokens/abc123.{fmt}")
    errors = json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)
    assert "abc123" in errors[0]


@pytest.mark.parametrize(
    "path, fmt",
    [
        ("nothing.json", "json"),
        ("nothing.xml", "xml"),
        ("services", "json"),
        ("requests.html", "json"),
        ("services/a/b.xml", "xml"),
        ("", "json"),
    ],
)
def test_unknown_paths_answer_the_error_list(web, db, path, fmt):
    response = web.get(BASE + path)
    if fmt == "json":
        json_errors(response, 404)
    else:
        xml_errors(response, 404)


@pytest.mark.parametrize(
    "path, fmt", [("/open311", "json"), ("/open311/v1/services.json", "json"), ("/open311/v3/requests.xml", "xml")]
)
def test_a_wrong_base_url_answers_the_error_list_naming_the_base(web, db, path, fmt):
    response = web.get(path)
    errors = json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)
    assert "/open311/v2/" in errors[0] and path in errors[0]


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "services.json"),
        ("delete", "requests.json"),
        ("put", "requests/1.xml"),
        ("post", "discovery.xml"),
        ("patch", "tokens/x.json"),
    ],
)
def test_wrong_methods_are_405_lists(web, db, method, path):
    response = getattr(web, method)(BASE + path)
    if path.endswith(".json"):
        json_errors(response, 405)
    else:
        xml_errors(response, 405)
    assert response["Allow"]


@pytest.mark.parametrize(
    "path",
    [
        "discovery.json",
        "services.json",
        "services/gas-safety.json",
        "requests.json",
        "requests/1.json",
        "tokens/x.json",
    ],
)
def test_jurisdiction_on_every_endpoint(web, categories, path):
    assert web.get(BASE + path, {"jurisdiction_id": "elsewhere"}).status_code == 404
    json_errors(web.get(BASE + path, {"jurisdiction_id": "elsewhere"}), 404)
    ok = web.get(BASE + path, {"jurisdiction_id": ""})
    assert ok.status_code == (404 if path.startswith(("requests/", "tokens/")) else 200)
    assert web.get(BASE + path, {"jurisdiction_id": "govern"}).status_code == ok.status_code


def test_jurisdiction_error_in_xml(web, db):
    assert "elsewhere" in xml_errors(web.get(BASE + "discovery.xml", {"jurisdiction_id": "elsewhere"}), 404)[0]
