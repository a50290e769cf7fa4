"""The Chinese that once said the wrong thing says the right thing (each ambiguous English word
has its context): a closed hazard is 已办结 (not 已断开, disconnected), a premises not yet inspected
is 待检查 (not 待审核, awaiting review), a campaign's name field is 名称 (not 姓名, a person's name),
and Django's own password messages come in Chinese on the sign-up page."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import pgettext

from govern.roles import DISPATCHER
from hazards.models import Status
from hazards.premises.models import VisitStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_ambiguous_words_have_their_meaning_in_chinese():
    with translation.override("zh-hans"):
        assert str(Status.CLOSED.label) == "已办结"
        assert str(VisitStatus.PENDING.label) == "待检查"
        assert pgettext("campaign", "Name") == "名称"
        # The same English word in its other sense keeps its own Chinese.
        assert pgettext("connection", "closed") == "已断开"


def test_the_campaign_form_asks_for_a_name_not_a_persons_name(client):
    client.force_login(UserFactory(roles=[DISPATCHER]))
    html = client.get("/office/campaigns/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<label>名称 <input name="name"' in html and "姓名" not in html


def test_django_password_messages_are_chinese_on_the_signup_page(client):
    form = {"username": "newbie", "phone": "13812345678", "password1": "abc", "password2": "abc"}
    response = client.post("/accounts/signup/", form, HTTP_ACCEPT_LANGUAGE="zh-hans")
    errors = " ".join(response.context["form"].errors["password2"])
    assert "密码太短" in errors and "password" not in errors.lower(), errors
