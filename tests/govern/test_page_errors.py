"""govern.pages: the one place a domain error becomes a page's answer."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from govern.errors import Conflict, InvalidInput
from govern.pages import flash_errors, page_errors

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "kind, status, sentence",
    [
        ("not_found", 404, None),
        ("denied", 403, None),
        ("invalid", 400, "The date is in the future."),
        ("conflict", 409, "This was settled already."),
        ("unprocessable", 422, "Not enough points."),
    ],
)
def test_a_domain_error_a_page_lets_out_is_a_4xx_page_never_a_500(client, settings, kind, status, sentence):
    settings.ROOT_URLCONF = "tests.govern.page_error_urls"
    client.raise_request_exception = False
    response = client.get(f"/page/{kind}/")
    assert response.status_code == status
    if sentence:
        html = response.content.decode()
        assert sentence in html and 'role="alert"' in html


class DateForm(forms.Form):
    served_on = forms.DateField()
    note = forms.CharField(required=False)


def test_page_errors_puts_the_sentence_on_the_field_it_names():
    form = DateForm({"served_on": "2026-01-01", "note": ""})
    assert form.is_valid()
    with page_errors(form=form, fields={"date": "served_on"}) as failed:
        raise InvalidInput("The date is in the future.", field="date")
    assert failed and failed.status_code == 400 and failed.field == "date"
    assert form.errors == {"served_on": ["The date is in the future."]}


def test_page_errors_without_a_matching_field_is_a_form_error_and_nothing_when_all_went_well():
    form = DateForm({"served_on": "2026-01-01"})
    assert form.is_valid()
    with page_errors(form=form) as failed:
        raise Conflict("This was settled already.")
    assert failed.as_dict() == {"field": None, "message": "This was settled already."} and failed.status_code == 409
    assert form.non_field_errors() == ["This was settled already."]
    with page_errors() as fine:
        pass
    assert not fine and fine.as_dict() is None and fine.status_code == 200


def test_flash_errors_leaves_the_sentence_for_the_next_page():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    with flash_errors(request) as failed:
        raise Conflict("This was settled already.")
    assert failed
    assert [(m.level_tag, str(m)) for m in get_messages(request)] == [("error", "This was settled already.")]


def test_other_exceptions_pass_through():
    with pytest.raises(ZeroDivisionError), page_errors():
        1 / 0  # noqa: B018
