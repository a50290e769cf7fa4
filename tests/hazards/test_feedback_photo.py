"""A "not fixed" answer with a photo: through the media pipeline (checked in the request,
quarantined, re-encoded after the commit, the quarantine emptied, renditions only), shown on the
board's "reopen requested" card and the hazard page; refused with "fixed" and when bad."""

from __future__ import annotations

import pytest
from django.test import Client

from govern.models import LiveEvent
from hazards.models import FeedbackPhoto, FixFeedback, PhotoStatus
from tests.conftest import client_for, quarantined
from tests.hazards.conftest import english, stored_files
from tests.hazards.images import jpeg_bytes, upload
from tests.hazards.test_feedback import fixed_by_volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def deferred():
    """deferred() from then on: Celery tasks wait instead of running at commit."""
    from govern.celery import app

    yield lambda: setattr(app.conf, "task_always_eager", False)
    app.conf.task_always_eager = True


def answer(client, code, **body):
    return client.post(f"/api/v1/track/{code}/feedback/", body, format="multipart")


def test_not_fixed_with_a_photo_through_the_pipeline(
    deferred, triaged, on_duty, boss, resident, media_root, quarantine_root
):
    from hazards.reports.feedback_photos import feedback_photos_process

    hazard = triaged(reporter=resident)
    fixed_by_volunteer(hazard, on_duty, boss)
    deferred()
    before = set(stored_files(media_root))
    photo = upload("still.jpg", jpeg_bytes(size=(200, 150), seed=77))
    sent = answer(client_for(resident), hazard.tracking_code, fixed="false", comment="还在漏水", photos=[photo])
    assert sent.status_code == 201, sent.content
    assert [p["status"] for p in sent.json()["photos"]] == ["processing"]
    [row] = FeedbackPhoto.objects.all()
    assert row.status == PhotoStatus.PROCESSING and row.original and len(quarantined(quarantine_root)) == 1
    assert set(stored_files(media_root)) == before  # nothing served before it is re-encoded

    mark = LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert feedback_photos_process(feedback_id=row.feedback_id)["ready"] == 1
    row.refresh_from_db()
    assert row.status == PhotoStatus.READY and not row.original and row.image and row.medium and row.thumb
    assert quarantined(quarantine_root) == []
    event = LiveEvent.objects.get(pk__gt=mark, type="hazard.feedback")
    assert event.data["photos"] == 1 and event.data["fixed"] is False
    # Idempotent: a second run (a redelivered task) changes nothing and says nothing.
    assert feedback_photos_process(feedback_id=row.feedback_id)["ready"] == 0
    assert LiveEvent.objects.filter(pk__gt=mark, type="hazard.feedback").count() == 1

    # The public tracking answer shows no photo of the answer.
    public = Client().get(f"/api/v1/track/{hazard.tracking_code}/").json()
    assert "photos" not in public["feedback"]

    office = Client()
    office.force_login(boss)
    board = office.get("/office/queues/").content.decode()
    assert row.thumb.url in board and row.image.url in board
    page = office.get(f"/office/hazards/{hazard.pk}/").content.decode()
    assert 'id="answer-photos"' in page and row.medium.url in page


def test_the_tracking_page_form_takes_a_photo_without_javascript(triaged, on_duty, boss, resident, quarantine_root):
    hazard = triaged(reporter=resident)
    fixed_by_volunteer(hazard, on_duty, boss)
    page = Client()
    page.force_login(resident)
    assert 'id="fix-photo"' in page.get(f"/track/{hazard.tracking_code}/").content.decode()
    photo = upload("still.jpg", jpeg_bytes(size=(120, 90), seed=5))
    done = page.post(
        f"/track/{hazard.tracking_code}/feedback/", {"fixed": "no", "comment": "没修好", "photos": [photo]}
    )
    assert done.status_code == 302
    [row] = FeedbackPhoto.objects.all()  # embedded mode: processed at commit
    assert row.status == PhotoStatus.READY and quarantined(quarantine_root) == []


def test_a_photo_with_fixed_or_a_bad_one_is_refused_and_nothing_is_kept(
    triaged, on_duty, boss, resident, quarantine_root
):
    hazard = triaged(reporter=resident)
    fixed_by_volunteer(hazard, on_duty, boss)
    reporter = english(client_for(resident))
    photo = upload("ok.jpg", jpeg_bytes(size=(120, 90), seed=6))
    with_fixed = answer(reporter, hazard.tracking_code, fixed="true", stars="5", photos=[photo])
    assert with_fixed.status_code == 400 and "photos" in with_fixed.json()["errors"]
    bad = upload("bad.jpg", b"not an image at all")
    refused = answer(reporter, hazard.tracking_code, fixed="false", comment="没修好", photos=[bad])
    assert refused.status_code == 400 and "photos" in refused.json()["errors"]
    two = [upload("a.jpg", jpeg_bytes(seed=1)), upload("b.jpg", jpeg_bytes(seed=2))]
    too_many = answer(reporter, hazard.tracking_code, fixed="false", comment="没修好", photos=two)
    assert too_many.status_code == 400 and "photos" in too_many.json()["errors"]
    assert not FixFeedback.objects.exists() and not FeedbackPhoto.objects.exists()
    assert quarantined(quarantine_root) == []


def test_the_reopen_queue_keeps_its_query_count_with_photos(
    triaged, on_duty, boss, django_assert_max_num_queries, quarantine_root
):
    from hazards.reports.feedback import feedback_submit
    from tests.factories import UserFactory

    def one():
        reporter = UserFactory()
        hazard = triaged(reporter=reporter)
        fixed_by_volunteer(hazard, on_duty, boss)
        photo = upload("still.jpg", jpeg_bytes(size=(120, 90), seed=hazard.pk))
        feedback_submit(
            tracking_code=hazard.tracking_code, actor=reporter, fixed=False, comment="没修好", photos=[photo]
        )
        return hazard

    first = one()
    office = Client()
    office.force_login(boss)
    with django_assert_max_num_queries(60) as small:
        assert office.get("/office/queues/").status_code == 200
    with django_assert_max_num_queries(60) as small_page:
        assert office.get(f"/office/hazards/{first.pk}/").status_code == 200
    for _ in range(3):
        one()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = office.get("/office/queues/")
    assert len(response.context["reopen_requested"]) == 4
    assert all(len(a.ready_photos) == 1 for a in response.context["reopen_requested"])
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        assert office.get(f"/office/hazards/{first.pk}/").status_code == 200


def test_the_tracking_page_and_api_keep_their_query_counts_with_the_fix(
    triaged, on_duty, boss, resident, django_assert_max_num_queries
):
    from hazards.dispatch import services as dispatch
    from hazards.reports.feedback import feedback_submit

    hazard = triaged(reporter=resident)
    task = fixed_by_volunteer(hazard, on_duty, boss)
    page, api = Client(), Client()
    with django_assert_max_num_queries(40) as small_page:
        assert page.get(f"/track/{hazard.tracking_code}/").status_code == 200
    with django_assert_max_num_queries(40) as small_api:
        assert api.get(f"/api/v1/track/{hazard.tracking_code}/").status_code == 200
    # Refused, done again with three more photos, then answered "not fixed" with a photo.
    dispatch.task_verify(task_id=task.pk, actor=boss, approved=False, note="再看看")
    more = [upload(f"m{n}.jpg", jpeg_bytes(size=(120, 90), seed=40 + n)) for n in range(3)]
    dispatch.task_complete(task_id=task.pk, actor=task.assignee, note="补修", photos=more)
    photo = upload("still.jpg", jpeg_bytes(size=(120, 90), seed=50))
    feedback_submit(tracking_code=hazard.tracking_code, actor=resident, fixed=False, comment="没修好", photos=[photo])
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        html = page.get(f"/track/{hazard.tracking_code}/").content.decode()
    assert html.count('id="fix-photos"') == 1 and 'id="fix-feedback"' in html
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        body = api.get(f"/api/v1/track/{hazard.tracking_code}/").json()
    assert len(body["fix"]["photos"]) == 4 and body["feedback"]["fixed"] is False
