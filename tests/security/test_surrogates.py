"""Issue 21 item 11: a lone UTF-16 surrogate in a JSON body is a 400 naming the reason, not a 500."""

from __future__ import annotations

import pytest

from hazards.models import Hazard
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

LONE = '"\\ud800"'  # JSON text spelling a lone high surrogate


def _with_lone(template: str) -> str:
    return template.replace("LONE", LONE)


def _assert_refused(response):
    assert response.status_code == 400, response.content
    assert "\\ud800-\\udfff" in response.json()["detail"]  # the reason, in either language


@pytest.mark.parametrize(
    "body",
    [
        _with_lone('{"category": "fire-passage", "description": LONE, "latitude": 30.9, "longitude": 120.8}'),
        _with_lone('{LONE: 1, "category": "fire-passage"}'),  # in a key
        _with_lone('{"category": "fire-passage", "photos": [[LONE]]}'),  # nested
        '{"description": "\\udfff tail"}',  # a lone low surrogate
    ],
)
def test_a_lone_surrogate_in_a_report_is_a_400(demo, body):
    before = Hazard.objects.count()
    api = client_for(demo["resident1"])
    _assert_refused(api.generic("POST", "/api/v1/hazards/", body, content_type="application/json"))
    assert Hazard.objects.count() == before


def test_a_lone_surrogate_in_a_profile_patch_is_a_400(demo):
    api = client_for(demo["vol1"])
    body = _with_lone('{"bio": LONE}')
    _assert_refused(api.generic("PATCH", "/api/v1/volunteers/me/", body, content_type="application/json"))


def test_a_surrogate_pair_is_ordinary_text(demo):
    """A correctly paired surrogate spells one character (here U+1F525) and is accepted by the parser."""
    api = client_for(demo["vol1"])
    body = '{"availability": "\\ud83d\\udd25"}'
    response = api.generic("PATCH", "/api/v1/volunteers/me/", body, content_type="application/json")
    assert response.status_code == 400  # a wrong type for availability, but not a parse error
    assert "udfff" not in response.content.decode()
