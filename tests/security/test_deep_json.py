"""A JSON body nested far deeper than any of ours (`[[[[…`) is a 400 saying so on every operation
that reads a JSON body, never the decoder's RecursionError as a 500; the live socket ignores such
a message like any other unreadable one. A form over Django's field limit is a JSON 400 too."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from govern.parsers import MAX_DEPTH
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.security.summary import record

pytestmark = pytest.mark.django_db

ARRAYS = "[" * 100_000 + "]" * 100_000
OBJECTS = '{"a":' * 100_000 + "1" + "}" * 100_000
JUST_TOO_DEEP = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)  # decodes fine, refused all the same


def json_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation whose schema takes application/json, ids set to 1."""
    from django.test import Client

    schema = Client().get("/api/v1/schema/?format=json").json()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return found


def test_deep_nesting_is_a_400_on_every_json_operation(db):
    from govern.roles import DISPATCHER

    operations = json_operations()
    assert len(operations) > 20
    refused = 0
    for client in (APIClient(), client_for(UserFactory(roles=[DISPATCHER]))):
        for method, path in operations:
            for body in (ARRAYS, OBJECTS, JUST_TOO_DEEP):
                response = client.generic(method, path, body, content_type="application/json")
                assert response.status_code < 500, (method, path, response.status_code, response.content[:300])
                if response.status_code == 400:
                    assert "nested" in response.json()["detail"] or "嵌套" in response.json()["detail"]
                    refused += 1
    # Operations that read the body before anything else (most of them for the dispatcher) said why.
    assert refused > len(operations)
    record("2 bad input: deep JSON", tried=len(operations) * 6, passed=len(operations) * 6)


def test_a_shallow_body_is_still_read(db):
    api = APIClient()
    nested = {"username": "x", "password": "y", "extra": [[[[1]]]]}
    response = api.post("/api/v1/auth/token/", nested, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]  # a wrong password, not a parse error


def test_the_live_socket_ignores_a_deeply_nested_message():
    import json

    from govern.consumers import LiveConsumer

    consumer = LiveConsumer()
    sent = []

    async def receive_json(content, **kwargs):
        sent.append(content)

    consumer.receive_json = receive_json
    import asyncio

    asyncio.run(consumer.receive(text_data=ARRAYS))
    asyncio.run(consumer.receive(text_data=json.dumps({"type": "ping"})))
    assert sent == [{"type": "ping"}]


def test_a_form_with_more_fields_than_django_reads_is_a_json_400(db):
    """Schemathesis (50 examples per operation and role) sent a form body with over a thousand
    fields: Django's TooManyFieldsSent became its HTML 400 page on an API path."""
    from django.conf import settings

    from govern.roles import DISPATCHER

    body = "&".join(f"premises={n}" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    api = client_for(UserFactory(roles=[DISPATCHER]))
    response = api.generic(
        "POST", "/api/v1/campaigns/1/unassign/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert str(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS) in response.json()["detail"]
