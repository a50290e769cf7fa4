"""The board's "to verify" and "reopen requested" queues and the back office's hazard page
(issue 18): the actions work without JavaScript (form POSTs through the services), refusals say
why in the page, and the queries stay constant as the queues grow."""

from __future__ import annotations

import pytest
from django.test import Client

from govern.roles import DISPATCHER
from hazards.dispatch import services as dispatch
from hazards.models import FixFeedback, Status, Task, TaskStatus
from hazards.reports.feedback import feedback_submit
from tests.factories import UserFactory
from tests.hazards.conftest import english
from tests.hazards.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)


@pytest.fixture
def fixed(triaged, on_duty, boss):
    """fixed(**triaged kwargs) → a done, unverified task (with an after-photo) of a rectified hazard."""

    def make(**kwargs):
        hazard = triaged(**kwargs)
        volunteer = on_duty(NEAR)
        task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=volunteer.user_id).tasks[0]
        dispatch.task_accept(task_id=task.pk, actor=volunteer.user)
        dispatch.task_start(task_id=task.pk, actor=volunteer.user)
        after = upload("after.jpg", jpeg_bytes(size=(160, 120), seed=task.pk + 300))
        return dispatch.task_complete(task_id=task.pk, actor=volunteer.user, note="已修好", photos=[after])

    return make


def office(boss) -> Client:
    client = Client()
    client.force_login(boss)
    return client


def test_to_verify_queue_shows_both_photos_and_verifies_without_javascript(fixed, boss):
    task = fixed()
    client = office(boss)
    english(client)
    board = client.get("/office/")
    item = board.context["to_verify"][0]
    assert item.task.pk == task.pk and len(item.report_photos) == 1 and len(item.after_photos) == 1
    html = board.content.decode()
    assert f'data-task-id="{task.pk}"' in html and "of-before" in html and "of-after" in html and "已修好" in html

    # A refusal needs a reason: the board says so, in its language, and nothing changes.
    refused = client.post(
        f"/office/hazards/{task.hazard_id}/verify/", {"task": task.pk, "decision": "refuse", "next": "/office/"}
    )
    assert refused.status_code == 302 and refused["Location"] == "/office/"
    assert "Say why the fix is refused" in client.get("/office/").content.decode()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE

    done = client.post(
        f"/office/hazards/{task.hazard_id}/verify/", {"task": task.pk, "decision": "approve", "next": "/office/"}
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.verified_at is not None and task.hazard.status == Status.VERIFIED
    assert client.get("/office/").context["to_verify"] == []


def test_a_refusal_goes_back_to_the_assignee_with_the_reason(fixed, boss):
    task = fixed()
    client = office(boss)
    english(client)
    client.post(
        f"/office/hazards/{task.hazard_id}/verify/", {"task": task.pk, "decision": "refuse", "note": "还有电线"}
    )
    task.refresh_from_db()
    assert (task.status, task.reason, task.hazard.status) == (TaskStatus.IN_PROGRESS, "还有电线", Status.IN_PROGRESS)
    page = client.get(f"/office/hazards/{task.hazard_id}/")
    assert "The fix is refused" in page.content.decode()


def test_not_fixed_waits_in_reopen_requested_until_the_dispatcher_reopens(fixed, boss, resident):
    task = fixed(reporter=resident)
    feedback_submit(tracking_code=task.hazard.tracking_code, actor=resident, fixed=False, comment="水还在漏")
    client = office(boss)
    queue = client.get("/office/").context["reopen_requested"]
    assert [a.hazard_id for a in queue] == [task.hazard_id]
    page = client.get(f"/office/hazards/{task.hazard_id}/")
    assert page.context["page"].actions["reopen"] and 'id="reopen-form"' in page.content.decode()
    assert "水还在漏" in page.content.decode()
    client.post(f"/office/hazards/{task.hazard_id}/reopen/", {"note": "水还在漏"})
    task.refresh_from_db()
    # The fix was still waiting for verification: it goes back to its assignee.
    assert task.status == TaskStatus.IN_PROGRESS and task.hazard.status == Status.IN_PROGRESS
    assert client.get("/office/").context["reopen_requested"] == []
    assert FixFeedback.objects.get(hazard_id=task.hazard_id).fixed is False


def test_hazard_page_is_for_dispatchers_and_shows_the_contact(fixed, boss, resident, grid_worker):
    task = fixed(reporter=resident)
    url = f"/office/hazards/{task.hazard_id}/"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for user in (resident, grid_worker):
        other = Client()
        other.force_login(user)
        assert other.get(url).status_code == 403
        assert other.post(url + "verify/", {"task": task.pk, "decision": "approve"}).status_code == 403
    page = office(boss).get(url)
    assert page.status_code == 200 and 'id="reporter-contact"' in page.content.decode()
    assert office(boss).get(f"/office/hazards/{task.hazard_id}/explode/").status_code == 405
    assert office(boss).post(f"/office/hazards/{task.hazard_id}/explode/").status_code == 404
    assert office(boss).get("/office/hazards/999999/").status_code == 404


def test_the_loop_pages_keep_their_query_counts(fixed, boss, resident, django_assert_max_num_queries):
    first = fixed(reporter=resident)
    feedback_submit(tracking_code=first.hazard.tracking_code, actor=resident, fixed=False, comment="没修好")
    fixed()
    client = office(boss)
    with django_assert_max_num_queries(40) as small_board:
        assert client.get("/office/").status_code == 200
    with django_assert_max_num_queries(40) as small_queues:
        assert client.get("/office/queues/").status_code == 200
    with django_assert_max_num_queries(40) as small_page:
        assert client.get(f"/office/hazards/{first.hazard_id}/").status_code == 200
    for _ in range(4):
        reporter = UserFactory()
        task = fixed(reporter=reporter)
        feedback_submit(tracking_code=task.hazard.tracking_code, actor=reporter, fixed=False, comment="没修好")
        fixed()
    # A second task on the first hazard: refused, then done again with two more photos.
    dispatch.task_verify(task_id=first.pk, actor=boss, approved=False, note="再看看")
    again = upload("again.jpg", jpeg_bytes(size=(160, 120), seed=901))
    dispatch.task_complete(task_id=first.pk, actor=first.assignee, note="补修", photos=[again])
    with django_assert_max_num_queries(len(small_board.captured_queries)):
        board = client.get("/office/")
    assert len(board.context["to_verify"]) == 10 and len(board.context["reopen_requested"]) == 4
    with django_assert_max_num_queries(len(small_queues.captured_queries)):
        assert client.get("/office/queues/").status_code == 200
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        assert client.get(f"/office/hazards/{first.hazard_id}/").status_code == 200


def test_an_unknown_next_does_not_leave_the_site(fixed, boss):
    task = fixed()
    other = UserFactory(roles=[DISPATCHER])
    response = office(other).post(
        f"/office/hazards/{task.hazard_id}/verify/",
        {"task": task.pk, "decision": "approve", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/office/hazards/{task.hazard_id}/"
