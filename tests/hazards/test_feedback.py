"""The reporter's answer to a fix (issue 18): once, after the fix, only by the reporter (signed in,
or the browser session that filed it anonymously); the tracking API shows the fix and the answer."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from govern.live import DISPATCH_TOPIC
from govern.models import LiveEvent
from hazards.dispatch import services as dispatch
from hazards.models import FixFeedback, Status
from tests.conftest import client_for
from tests.hazards.conftest import report_form
from tests.hazards.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)


def fixed_by_volunteer(hazard, on_duty, boss):
    volunteer = on_duty(NEAR)
    task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=volunteer.user_id).tasks[0]
    dispatch.task_accept(task_id=task.pk, actor=volunteer.user)
    dispatch.task_start(task_id=task.pk, actor=volunteer.user)
    photo = upload("after.jpg", jpeg_bytes(size=(160, 120), seed=9))
    return dispatch.task_complete(task_id=task.pk, actor=volunteer.user, note="已清理完毕", photos=[photo])


def feedback(client, code, **body):
    return client.post(f"/api/v1/track/{code}/feedback/", body, format="json")


def test_the_signed_in_reporter_answers_once_after_the_fix(triaged, on_duty, boss, resident):
    hazard = triaged(reporter=resident)
    reporter = client_for(resident)
    early = feedback(reporter, hazard.tracking_code, fixed=True, stars=5)
    assert early.status_code == 409 and early.json()["code"] == "no_fix"

    task = fixed_by_volunteer(hazard, on_duty, boss)
    public = APIClient().get(f"/api/v1/track/{hazard.tracking_code}/").json()
    assert public["fix"]["note"] == "已清理完毕" and public["fix"]["verified"] is False
    assert len(public["fix"]["photos"]) == 1 and public["fix"]["photos"][0]["medium"]
    assert "assignee" not in public["fix"] and public["feedback"] is None

    stranger = client_for(boss)  # even a dispatcher is not the reporter
    assert feedback(stranger, hazard.tracking_code, fixed=True, stars=4).status_code == 403
    bad = feedback(reporter, hazard.tracking_code, fixed=True, stars=9)
    assert bad.status_code == 400 and bad.json()["errors"]["stars"]
    mark = LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    ok = feedback(reporter, hazard.tracking_code, fixed=True, stars=4, comment="很及时")
    assert ok.status_code == 201 and ok.json()["stars"] == 4
    answer = FixFeedback.objects.get(hazard=hazard)
    assert (answer.fixed, answer.stars, answer.comment, answer.task_id) == (True, 4, "很及时", task.pk)
    event = LiveEvent.objects.filter(pk__gt=mark, type="hazard.feedback").prefetch_related("topic_rows").get()
    assert DISPATCH_TOPIC in {t.topic for t in event.topic_rows.all()} and event.data["fixed"] is True

    again = feedback(reporter, hazard.tracking_code, fixed=False, comment="又坏了")
    assert again.status_code == 409
    shown = APIClient().get(f"/api/v1/track/{hazard.tracking_code}/").json()
    assert shown["feedback"]["stars"] == 4 and shown["feedback"]["fixed"] is True


def test_the_browser_that_filed_anonymously_answers_and_no_other(categories, grid, on_duty, boss):
    browser = Client()
    made = browser.post("/report/", report_form())
    assert made.status_code == 302
    code = made["Location"].split("/")[2]
    from hazards.models import Hazard
    from hazards.triage.services import hazard_triage

    hazard = Hazard.objects.get(tracking_code=code)
    hazard_triage(hazard_id=hazard.pk, actor=boss, decision="accept")
    fixed_by_volunteer(hazard, on_duty, boss)

    other = Client()
    assert other.post(f"/api/v1/track/{code}/feedback/", {"fixed": False, "comment": "x"}).status_code == 403
    page = browser.get(f"/track/{code}/")
    assert b'id="fix-answer"' in page.content and b'id="fix-answer"' not in other.get(f"/track/{code}/").content
    missing = browser.post(f"/api/v1/track/{code}/feedback/", {"fixed": False, "comment": ""})
    assert missing.status_code == 400 and missing.json()["errors"]["comment"]
    # The no-JavaScript form: not fixed, with a reason, back to the tracking page.
    answered = browser.post(f"/track/{code}/feedback/", {"fixed": "no", "comment": "电线还露在外面"})
    assert answered.status_code == 302 and answered["Location"] == f"/track/{code}/"
    answer = FixFeedback.objects.get(hazard__tracking_code=code)
    assert (answer.fixed, answer.stars, answer.comment) == (False, None, "电线还露在外面")
    assert Hazard.objects.get(pk=hazard.pk).status == Status.RECTIFIED  # nothing reopens by itself
    assert b'id="fix-feedback" data-fixed="no"' in browser.get(f"/track/{code}/").content


def test_feedback_lookups_are_throttled_like_code_lookups(settings, categories):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "code_lookup": "2/min"},
    }
    from django.core.cache import cache

    cache.clear()
    anyone = APIClient()
    codes = [feedback(anyone, "ABCDEFGHJK", fixed=True, stars=5).status_code for _ in range(3)]
    assert codes == [404, 404, 429]
