"""Fixtures and checkers of the Open311 tests: schemas (a committed copy of the shared ones),
XML parsing, seeded categories, a client organisation's key, and reports made through services."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from govern.api_keys import api_client_issue
from hazards.demo import seed_categories, seed_rules
from hazards.reports.services import hazard_report

SCHEMAS = Path(__file__).resolve().parent / "schemas"
INSIDE = (30.905, 120.805)  # inside the `grid` fixture (120.80–120.81 E, 30.90–30.91 N)
OTHER = (30.905, 120.815)  # inside `other_grid`
BASE = "/open311/v2/"


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


_REGISTRY = Registry().with_resources(
    (name, Resource.from_contents(_schema(name), default_specification=DRAFT7))
    for name in ("request.json", "requests.json", "service.json", "services.json", "service-definition.json")
)

# jsonschema only checks formats whose optional libraries are installed; these two matter here.
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)
    return "T" in value and parsed.tzinfo is not None


@FORMATS.checks("uri")
def _uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate(schema_name: str, document) -> None:
    """Validate against one of the Open311 schemas (raises jsonschema.ValidationError)."""
    Draft7Validator(_schema(schema_name), registry=_REGISTRY, format_checker=FORMATS).validate(document)


def validate_errors(document, status: int) -> None:
    assert isinstance(document, list) and document, document
    for error in document:
        assert set(error) == {"code", "description"}, error
        assert error["code"] == status and isinstance(error["description"], str) and error["description"]


def parse_xml(response, root: str) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    element = ET.fromstring(response.content)
    assert element.tag == root, element.tag
    return element


def xml_errors(response, status: int) -> list[str]:
    assert response.status_code == status, response.content
    root = parse_xml(response, "errors")
    errors = root.findall("error")
    assert errors and len(errors) == len(list(root))
    for error in errors:
        assert [child.tag for child in error] == ["code", "description"]
        assert error.findtext("code") == str(status) and error.findtext("description")
    return [e.findtext("description") for e in errors]


def json_errors(response, status: int) -> list[str]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = response.json()
    validate_errors(document, status)
    return [e["description"] for e in document]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def web():
    """A plain client that enforces CSRF, like a browser-less 311 app would meet it; English."""
    return Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def categories(db):
    cats = seed_categories()
    seed_rules(cats)
    return cats


@pytest.fixture
def key(db):
    """(client, raw key) of a client organisation."""
    return api_client_issue(name="City 311 app")


@pytest.fixture
def report(categories, grid):
    """File a report through the one reporting service (no photo: fast)."""

    def make(*, category="electrical-wiring", point=INSIDE, description="楼道里私拉电线", api_client=None, **extra):
        return hazard_report(
            reporter=None,
            category_slug=category,
            description=description,
            latitude=point[0],
            longitude=point[1],
            photos=[],
            photos_required=False,
            api_client=api_client,
            **extra,
        ).hazard

    return make
