"""Task services: offer → accept → start → complete → verify (both paths, points, minutes),
the broadcast race decided under locks, escalation (expiry, re-offer, overdue), auto-dispatch,
and the live events each service publishes."""

from __future__ import annotations

import datetime as dt

import pytest

from govern.errors import Conflict, InvalidInput, PermissionDenied
from govern.live import DISPATCH_TOPIC, grid_topic, user_topic
from govern.models import LiveEvent
from hazards.dispatch import services
from hazards.dispatch.escalation import tasks_escalate
from hazards.models import Hazard, HazardEvent, Status, Task, TaskStatus
from rewards.models import PointsAward, PointsEntry
from tests.hazards.images import jpeg_bytes, upload
from volunteers.models import ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)


def events_since(mark: int, type_=None):
    rows = LiveEvent.objects.filter(pk__gt=mark).prefetch_related("topic_rows").order_by("pk")
    out = []
    for e in rows:
        if type_ is None or e.type == type_:
            out.append((e.type, sorted(t.topic for t in e.topic_rows.all()), e.data))
    return out


def last_id() -> int:
    return LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def photo(n=1):
    return upload(f"after{n}.jpg", jpeg_bytes(size=(160, 120), seed=500 + n))


def take(task_id, user):
    services.task_accept(task_id=task_id, actor=user)
    services.task_start(task_id=task_id, actor=user)
    return services.task_complete(task_id=task_id, actor=user, note="已清理", photos=[photo()])


def test_offer_moves_the_hazard_and_tells_the_assignee(triaged, on_duty, boss):
    volunteer = on_duty(NEAR)
    hazard = triaged()
    mark = last_id()
    outcome = services.task_dispatch(hazard_id=hazard.pk, actor=boss)
    task = outcome.tasks[0]
    assert task.assignee_id == volunteer.user_id and task.status == TaskStatus.OFFERED
    assert Hazard.objects.get(pk=hazard.pk).status == Status.DISPATCHED
    # SLA: electrical wiring, high severity → accept 15 × 0.5 min, rectify 480 × 0.5 min
    assert (task.accept_deadline - task.offered_at) == dt.timedelta(minutes=7.5)
    assert (task.due_at - task.offered_at) == dt.timedelta(minutes=240)
    sent = events_since(mark)
    assert [e[0] for e in sent] == ["hazard.status_changed", "task.offered", "task.updated"]
    assert sent[1][1] == [user_topic(volunteer.user_id)]
    assert sent[1][2]["hazard"]["tracking_code"] == hazard.tracking_code and sent[1][2]["status"] == "offered"
    assert sent[2][1] == sorted([grid_topic(hazard.grid_id), DISPATCH_TOPIC])


def test_no_candidate_is_a_sentence(triaged, boss):
    hazard = triaged()
    with pytest.raises(InvalidInput) as err:
        services.task_dispatch(hazard_id=hazard.pk, actor=boss)
    assert err.value.field == "assignee" and err.value.code == "no_candidate"
    assert Hazard.objects.get(pk=hazard.pk).status == Status.TRIAGED and not Task.objects.exists()


def test_only_triaged_or_reopened_hazards_are_dispatched(make_hazard, on_duty, boss):
    on_duty(NEAR)
    hazard = make_hazard()  # submitted
    with pytest.raises(Conflict):
        services.task_dispatch(hazard_id=hazard.pk, actor=boss)


def test_residents_may_not_dispatch(triaged, on_duty, resident):
    on_duty(NEAR)
    hazard = triaged(reporter=resident)
    with pytest.raises(PermissionDenied):
        services.task_dispatch(hazard_id=hazard.pk, actor=resident)


def test_full_path_with_approval_pays_assignee_and_reporter_and_credits_minutes(
    triaged, on_duty, boss, resident, django_capture_on_commit_callbacks
):
    volunteer = on_duty(NEAR)
    hazard = triaged(reporter=resident)
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    user = volunteer.user
    services.task_accept(task_id=task.pk, actor=user)
    assert Hazard.objects.get(pk=hazard.pk).status == Status.DISPATCHED
    services.task_start(task_id=task.pk, actor=user)
    assert Hazard.objects.get(pk=hazard.pk).status == Status.IN_PROGRESS
    done = services.task_complete(task_id=task.pk, actor=user, note="电线已规整", photos=[photo(1), photo(2)])
    assert done.status == TaskStatus.DONE and done.photos.count() == 2
    assert Hazard.objects.get(pk=hazard.pk).status == Status.RECTIFIED
    with django_capture_on_commit_callbacks(execute=True):
        services.task_verify(task_id=task.pk, actor=boss, approved=True, note="")
    assert Hazard.objects.get(pk=hazard.pk).status == Status.VERIFIED
    task.refresh_from_db()
    assert task.verified_at is not None and task.verified_by == boss
    # ledger: 20 × high (2) for the assignee, 10 for the reporter
    award = PointsAward.objects.get(user=user, source_type="hazards.task", source_id=str(task.pk))
    assert award.rule.code == "task_verified" and award.points_paid == 40
    assert PointsEntry.objects.get(account__user=user).amount == 40
    assert (
        PointsEntry.objects.get(account__user=resident, source_type="hazards.hazard", source_id=str(hazard.pk)).amount
        == 10
    )
    record = ServiceRecord.objects.get(source_ref=f"task:{task.pk}")
    assert record.volunteer_id == volunteer.pk and record.minutes >= 1
    assert Volunteer.objects.get(pk=volunteer.pk).service_minutes == record.minutes
    steps = list(HazardEvent.objects.filter(hazard=hazard).values_list("to_status", flat=True))
    assert steps == ["submitted", "triaged", "dispatched", "in_progress", "rectified", "verified"]


def test_only_the_first_reporter_of_a_duplicate_cluster_is_paid(
    triaged, make_hazard, on_duty, boss, resident, django_capture_on_commit_callbacks
):
    from hazards.triage.services import hazard_triage
    from tests.factories import UserFactory

    second = UserFactory()
    volunteer = on_duty(NEAR)
    original = triaged(reporter=resident)
    dup = make_hazard(reporter=second)
    hazard_triage(hazard_id=dup.pk, actor=boss, decision="duplicate", duplicate_of=str(original.pk))
    task = services.task_dispatch(hazard_id=original.pk, actor=boss).tasks[0]
    take(task.pk, volunteer.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.task_verify(task_id=task.pk, actor=boss, approved=True)
    assert PointsEntry.objects.filter(account__user=resident).count() == 1
    assert not PointsEntry.objects.filter(account__user=second).exists()


def test_refusal_reopens_and_returns_the_task_to_the_assignee(
    triaged, on_duty, boss, django_capture_on_commit_callbacks
):
    volunteer = on_duty(NEAR)
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    take(task.pk, volunteer.user)
    with pytest.raises(InvalidInput) as err:
        services.task_verify(task_id=task.pk, actor=boss, approved=False, note="")
    assert err.value.field == "note"
    mark = last_id()
    with django_capture_on_commit_callbacks(execute=True):
        services.task_verify(task_id=task.pk, actor=boss, approved=False, note="插线板仍在地上")
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS and task.reason == "插线板仍在地上" and task.verified_at is None
    assert Hazard.objects.get(pk=hazard.pk).status == Status.IN_PROGRESS
    steps = list(HazardEvent.objects.filter(hazard=hazard).values_list("to_status", flat=True))
    assert steps[-2:] == ["reopened", "in_progress"]
    assert not PointsAward.objects.exists() and not ServiceRecord.objects.exists()
    # the assignee is told, with the reason; a later change of the task (overdue) is not "returned" again
    from govern.models import Notification

    returned = Notification.objects.filter(user=volunteer.user, kind="task_returned", channel="inbox")
    assert returned.count() == 1 and returned.get().data["reason"] == "插线板仍在地上"
    with django_capture_on_commit_callbacks(execute=True):
        tasks_escalate(now=task.due_at + dt.timedelta(minutes=1))
    assert returned.count() == 1
    updated = events_since(mark, "task.updated")
    assert updated[-1][2]["status"] == "in_progress" and user_topic(volunteer.user_id) in updated[-1][1]
    # the assignee finishes again; now it is approved
    services.task_complete(task_id=task.pk, actor=volunteer.user, note="已挂墙", photos=[photo(3)])
    with django_capture_on_commit_callbacks(execute=True):
        services.task_verify(task_id=task.pk, actor=boss, approved=True)
    assert Hazard.objects.get(pk=hazard.pk).status == Status.VERIFIED
    assert PointsAward.objects.filter(source_type="hazards.task").count() == 1


def test_grid_worker_verifies_low_severity_only(
    triaged, on_duty, boss, grid_worker, django_capture_on_commit_callbacks
):
    volunteer = on_duty(NEAR)
    low = triaged(severity="low")
    high = triaged(severity="high")
    t_low = services.task_dispatch(hazard_id=low.pk, actor=boss, assignee_id=volunteer.user_id).tasks[0]
    t_high = services.task_dispatch(hazard_id=high.pk, actor=boss, assignee_id=volunteer.user_id).tasks[0]
    take(t_low.pk, volunteer.user)
    take(t_high.pk, volunteer.user)
    with pytest.raises(PermissionDenied):
        services.task_verify(task_id=t_high.pk, actor=grid_worker, approved=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.task_verify(task_id=t_low.pk, actor=grid_worker, approved=True)
    assert Hazard.objects.get(pk=low.pk).status == Status.VERIFIED
    award = PointsAward.objects.get(source_type="hazards.task", source_id=str(t_low.pk))
    assert award.user_id == volunteer.user_id and award.points_paid == 20  # 20 × low (1)


def test_nobody_verifies_their_own_fix(triaged, boss, grid_worker):
    hazard = triaged(severity="low")
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=grid_worker.pk).tasks[0]
    take(task.pk, grid_worker)
    with pytest.raises(PermissionDenied):
        services.task_verify(task_id=task.pk, actor=grid_worker, approved=True)


def test_broadcast_first_accept_wins_and_the_other_gets_409(triaged, on_duty, boss):
    a, b = on_duty(NEAR), on_duty((30.9052, 120.8052))
    hazard = triaged()
    tasks = services.task_dispatch(hazard_id=hazard.pk, actor=boss, broadcast=2).tasks
    assert sorted(t.assignee_id for t in tasks) == sorted([a.user_id, b.user_id])
    by_user = {t.assignee_id: t for t in tasks}
    services.task_accept(task_id=by_user[a.user_id].pk, actor=a.user)
    with pytest.raises(Conflict) as err:
        services.task_accept(task_id=by_user[b.user_id].pk, actor=b.user)
    assert err.value.code == "taken"
    assert Task.objects.get(pk=by_user[b.user_id].pk).status == TaskStatus.CANCELLED


def test_someone_elses_offer_cannot_be_taken(triaged, on_duty, boss):
    a, b = on_duty(NEAR), on_duty((30.9052, 120.8052))
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=a.user_id).tasks[0]
    with pytest.raises(Exception) as err:
        services.task_accept(task_id=task.pk, actor=b.user)
    assert getattr(err.value, "status_code", None) == 404


def test_completion_needs_a_note_and_a_photo(triaged, on_duty, boss, media_root):
    from tests.hazards.conftest import stored_files

    volunteer = on_duty(NEAR)
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    services.task_accept(task_id=task.pk, actor=volunteer.user)
    services.task_start(task_id=task.pk, actor=volunteer.user)
    before = stored_files(media_root)
    with pytest.raises(InvalidInput) as err:
        services.task_complete(task_id=task.pk, actor=volunteer.user, note="好了", photos=[])
    assert err.value.field == "photos"
    with pytest.raises(InvalidInput) as err:
        services.task_complete(
            task_id=task.pk,
            actor=volunteer.user,
            note="好了",
            photos=[upload("x.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")],
        )
    assert err.value.field == "photos"
    assert stored_files(media_root) == before and Task.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS


def test_expired_offer_is_reoffered_then_returned_to_triage(triaged, on_duty, boss):
    a, b = on_duty(NEAR), on_duty((30.9060, 120.8060))
    hazard = triaged()
    first = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    assert first.assignee_id == a.user_id
    mark = last_id()
    outcome = tasks_escalate(now=first.accept_deadline)
    assert (outcome.expired, outcome.reoffered, outcome.returned_to_triage) == (1, 1, 0)
    second = Task.objects.get(hazard=hazard, status=TaskStatus.OFFERED)
    assert second.assignee_id == b.user_id
    types = [e[0] for e in events_since(mark)]
    assert types == ["task.updated", "task.offered", "task.updated"]
    outcome = tasks_escalate(now=second.accept_deadline + dt.timedelta(seconds=1))
    assert (outcome.expired, outcome.reoffered, outcome.returned_to_triage) == (1, 0, 1)
    assert Hazard.objects.get(pk=hazard.pk).status == Status.TRIAGED
    assert tasks_escalate(now=second.accept_deadline + dt.timedelta(hours=1)).expired == 0  # idempotent


def test_an_expired_offer_cannot_be_accepted(triaged, on_duty, boss):
    volunteer = on_duty(NEAR)
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    with pytest.raises(Conflict):
        services.task_accept(task_id=task.pk, actor=volunteer.user, now=task.accept_deadline + dt.timedelta(seconds=1))


def test_past_due_tasks_are_flagged_once_to_grid_and_dispatch(triaged, on_duty, boss):
    volunteer = on_duty(NEAR)
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    services.task_accept(task_id=task.pk, actor=volunteer.user)
    mark = last_id()
    assert tasks_escalate(now=task.due_at - dt.timedelta(seconds=1)).overdue == 0
    assert tasks_escalate(now=task.due_at + dt.timedelta(minutes=5)).overdue == 1
    assert Task.objects.get(pk=task.pk).overdue
    overdue = events_since(mark, "task.overdue")
    assert len(overdue) == 1 and overdue[0][2]["overdue_by_s"] == 300
    assert set(overdue[0][1]) == {grid_topic(hazard.grid_id), DISPATCH_TOPIC, user_topic(volunteer.user_id)}
    assert tasks_escalate(now=task.due_at + dt.timedelta(minutes=10)).overdue == 0


def test_auto_dispatch_category_offers_at_triage(make_hazard, on_duty, boss, categories):
    categories["electrical-wiring"].auto_dispatch = True
    categories["electrical-wiring"].save()
    volunteer = on_duty(NEAR)
    from hazards.triage.services import hazard_triage

    hazard = hazard_triage(hazard_id=make_hazard().pk, actor=boss, decision="accept")
    assert hazard.status == Status.DISPATCHED
    assert Task.objects.get(hazard=hazard).assignee_id == volunteer.user_id
    # with nobody free the triage still succeeds and the hazard waits for a dispatcher
    Volunteer.objects.filter(pk=volunteer.pk).update(max_active_tasks=1)
    other = hazard_triage(hazard_id=make_hazard().pk, actor=boss, decision="accept")
    assert other.status == Status.TRIAGED


def test_cancel_returns_the_hazard(triaged, on_duty, boss):
    volunteer = on_duty(NEAR)
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=volunteer.user_id).tasks[0]
    services.task_accept(task_id=task.pk, actor=volunteer.user)
    services.task_start(task_id=task.pk, actor=volunteer.user)
    services.task_cancel(task_id=task.pk, actor=boss, reason="重新安排")
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CANCELLED
    assert Hazard.objects.get(pk=hazard.pk).status == Status.TRIAGED
