"""The tracking lookup answers a wrong code on the form itself, in the page's language."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_wrong_code_is_answered_inline(client, make_hazard):
    response = client.get("/track/", {"code": "nosuch12"})
    html = response.content.decode()
    assert response.status_code == 404
    assert "没有查询码为 nosuch12 的上报" in html and 'id="track-lookup"' in html and 'aria-invalid="true"' in html
    code = make_hazard().tracking_code
    assert client.get("/track/", {"code": f" {code.lower()} "})["Location"] == f"/track/{code}/"
    wrong = client.get("/track/ZZZZZZZZZZ/")  # a mistyped address: the lookup form, saying so
    assert wrong.status_code == 404 and 'id="track-lookup"' in wrong.content.decode()
    assert client.get("/track/ZZZZZZZZZZ/?fragment=status").status_code == 404
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "No report has the tracking code NOSUCH12" in client.get("/track/", {"code": "NOSUCH12"}).content.decode()
