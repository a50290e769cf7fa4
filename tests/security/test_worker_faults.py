"""Faults, services mode: a Celery worker killed in the middle of a task. The message goes back to
the queue, another run does the task again, and every effect still happens exactly once.

Real pieces only: PostgreSQL, the Redis broker, `celery worker` subprocesses running the real tasks
(tests/security/fault_worker.py adds just the stall). The kill lands at the worst moment: the
service's transaction has committed (points paid, live events written) but the task's message is not
acknowledged yet (CELERY_TASK_ACKS_LATE), so the task WILL run again. Without the services'
idempotency these tests fail (a second PointsAward / ledger entry, a second `task.overdue`).

Two ways a worker dies:
- the pool child is killed (prefork; OOM killer, a segfault): the worker's parent sees it and puts
  the message back at once (CELERY_TASK_REJECT_ON_WORKER_LOST);
- the whole worker is killed (the machine, `kill -9`): the message stays in kombu's `unacked` hash
  until a live worker's periodic sweep (QoS.restore_visible) finds it older than the broker's
  visibility_timeout and pushes it back. Production waits CELERY_VISIBILITY_TIMEOUT (1 h); here the
  test worker runs with 2 s and sweeps every second, else the test would wait 1 h + ~100 s.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
import uuid
import warnings
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.db.models import F, Sum

from govern.models import LiveEvent
from rewards.models import PointsAccount, PointsAward, PointsEntry
from tests.factories import UserFactory
from tests.govern.test_live_services import ROOT, Proc, _test_database_url
from tests.security.summary import record

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

AWARDS = 30
STALL_AT = 12  # the 12th award stalls after its commit, before its ack


# --- harness ------------------------------------------------------------------------------------------


class Broker:
    """The test's own queue and unacked keys on the real Redis (never anyone else's messages)."""

    def __init__(self):
        self.queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.unacked = f"unacked-{self.queue}"
        self.unacked_index = f"unacked_index-{self.queue}"
        self.mutex = f"unacked_mutex-{self.queue}"
        self.redis = redis.Redis.from_url(os.environ["REDIS_URL"])
        self.procs: list[Proc] = []

    def options(self, visibility_timeout: int) -> dict:
        return {
            "visibility_timeout": visibility_timeout,
            "unacked_key": self.unacked,
            "unacked_index_key": self.unacked_index,
            "unacked_mutex_key": self.mutex,
            # Sweep for abandoned messages every second (defaults: every 10 s, scanning on every
            # 10th sweep, i.e. ~100 s between scans).
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }

    def send(self, name: str, **kwargs) -> str:
        from govern.celery import app

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tests.settings is eager; send_task never is
            return app.send_task(name, kwargs=kwargs, queue=self.queue).id

    def worker(self, name: str, *, pool: str, visibility_timeout: int, stalls: str = "") -> Proc:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _test_database_url(),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "FAULT_TRANSPORT_OPTIONS": json.dumps(self.options(visibility_timeout)),
        }
        env["FAULT_STALL"] = stalls
        proc = Proc(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.security.fault_worker",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                self.queue,
                "-n",
                f"{name}-{self.queue}@%h",
            ],
            env,
        )
        self.procs.append(proc)
        return proc

    def stalled(self, marker: Path, timeout: float = 60) -> dict:
        """Wait for a stall marker: {"pid": the process to kill, "task_id": the task in flight}."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.exists():
                return json.loads(marker.read_text())
            time.sleep(0.05)
        raise AssertionError("no task stalled:\n" + "\n".join(line for p in self.procs for line in p.lines[-30:]))

    def unacked_task_ids(self) -> list[str]:
        return [json.loads(raw)[0]["headers"]["id"] for raw in self.redis.hvals(self.unacked)]

    def pending(self) -> int:
        return self.redis.llen(self.queue) + self.redis.hlen(self.unacked)

    def close(self) -> None:
        for proc in self.procs:  # nothing left to finish: no need for a warm shutdown
            if proc.popen.poll() is None:
                proc.popen.kill()
                proc.popen.wait(timeout=10)
        self.redis.delete(self.queue, self.unacked, self.unacked_index, self.mutex)
        self.redis.close()


@pytest.fixture
def broker():
    broker = Broker()
    try:
        yield broker
    finally:
        broker.close()


def until(what: str, predicate, procs: list[Proc], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n" + "\n".join(line for p in procs for line in p.lines[-40:]))


def log_count(proc: Proc, task_id: str, word: str) -> int:
    return sum(1 for line in list(proc.lines) if f"[{task_id}]" in line and word in line)


def killed(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


# --- the work: award_points to many users, and an escalation run over several past-due tasks ---------


def _enqueue_awards(broker: Broker, n: int = AWARDS) -> dict[str, int]:
    users = [UserFactory() for _ in range(n)]
    return {
        broker.send(
            "rewards.tasks.award_points",
            user_id=user.pk,
            rule_code="report_verified",
            source_type="faults.report",
            source_id=str(i),
        ): user.pk
        for i, user in enumerate(users)
    }


def _assert_each_award_paid_once(task_user: dict[str, int]) -> None:
    users = sorted(task_user.values())
    awards = Counter(PointsAward.objects.filter(user_id__in=users).values_list("user_id", flat=True))
    assert awards == Counter(users), "one PointsAward per (rule, source, user), the re-runs included"
    entries = Counter(PointsEntry.objects.filter(account__user_id__in=users).values_list("account__user_id", flat=True))
    assert entries == Counter(users), "one ledger entry per award"
    balances = dict(PointsAccount.objects.filter(user_id__in=users).values_list("user_id", "balance"))
    assert balances == dict.fromkeys(users, 10), "report_verified pays 10 points, once"
    sums = dict(
        PointsEntry.objects.filter(account__user_id__in=users)
        .values_list("account__user_id")
        .annotate(total=Sum("amount"))
    )
    assert sums == balances, "balances equal their ledgers"


def _past_due_tasks(n: int) -> list[int]:
    """n accepted tasks past their due time (what the every-minute escalation flags), via services."""
    from govern.roles import DISPATCHER, RESIDENT, VOLUNTEER
    from hazards.demo import seed_categories, seed_rules
    from hazards.dispatch.services import task_accept, task_dispatch
    from hazards.models import Task
    from hazards.reports.services import hazard_report
    from hazards.triage.services import hazard_triage
    from tests.factories import make_grid
    from tests.hazards.images import jpeg_bytes, upload
    from volunteers import duty as volunteers_duty
    from volunteers import services as volunteers

    seed_rules(seed_categories())
    grid = make_grid(west=120.80, south=30.90)
    boss = UserFactory(roles=[DISPATCHER])
    ids = []
    for i in range(n):
        user = UserFactory(roles=[RESIDENT, VOLUNTEER])
        volunteer = volunteers.volunteer_apply(
            actor=user,
            real_name="志愿者",
            phone=f"1570000{i:04d}",
            community_id=grid.community_id,
            skills=[],
            availability=[],
        )
        volunteers.volunteer_approve(volunteer_id=volunteer.pk, actor=boss)
        volunteers_duty.volunteer_duty_set(actor=user, on_duty=True, latitude=30.9051, longitude=120.8051)
        hazard = hazard_report(
            reporter=None,
            category_slug="electrical-wiring",
            description=f"故障测试 {i}",
            latitude=30.905,
            longitude=120.805,
            photos=[upload(f"f{i}.jpg", jpeg_bytes(size=(80, 60), seed=700 + i))],
        ).hazard
        hazard_triage(hazard_id=hazard.pk, actor=boss, decision="accept")
        task = task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=user.pk).tasks[0]
        task_accept(task_id=task.pk, actor=user)
        ids.append(task.pk)
    back = dt.timedelta(days=2)  # the whole timeline, so the constraints between its times still hold
    Task.objects.filter(pk__in=ids).update(
        offered_at=F("offered_at") - back,
        accept_deadline=F("accept_deadline") - back,
        accepted_at=F("accepted_at") - back,
        due_at=F("due_at") - back,
    )
    return ids


def _overdue_events(task_ids: list[int]) -> Counter:
    return Counter(
        e["id"]
        for e in LiveEvent.objects.filter(type="task.overdue").values_list("data", flat=True)
        if e["id"] in task_ids
    )


def _assert_each_task_flagged_once(task_ids: list[int]) -> None:
    from hazards.models import Task

    assert set(Task.objects.filter(pk__in=task_ids, overdue=True).values_list("pk", flat=True)) == set(task_ids)
    assert _overdue_events(task_ids) == Counter(task_ids), "one task.overdue live event per task"


def _settled(broker: Broker, procs: list[Proc], task_ids: list[str], done):
    def check():
        return (
            broker.pending() == 0 and all(any(log_count(p, t, "succeeded") for p in procs) for t in task_ids) and done()
        )

    return check


# --- the faults ---------------------------------------------------------------------------------------

OVERDUE = 6
FLAG_STALL_AT = 3


def test_killed_pool_children_have_their_tasks_requeued_and_every_effect_happens_once(broker, tmp_path):
    """One prefork worker; its pool child is SIGKILLed three times, each time in a different place:
    (a) after an award's transaction committed, (b) inside an award's open transaction (ledger entry
    written, award row not yet), (c) in the middle of an escalation run, after 3 of 6 tasks were
    flagged overdue (committed, live events written). The worker's parent survives each time and puts
    the message back (REJECT_ON_WORKER_LOST); the next child runs it again."""
    task_user = _enqueue_awards(broker)
    tasks = _past_due_tasks(OVERDUE)
    escalation = broker.send("hazards.tasks.escalate_tasks")
    after_commit, in_transaction, mid_escalation = (tmp_path / f"stall-{x}.json" for x in "abc")
    stalls = ";".join(
        [
            f"rewards.ledger:points_award:{STALL_AT}:{after_commit}",
            f"rewards.ledger:post_entry:{STALL_AT}:{in_transaction}",
            f"hazards.dispatch.escalation:task_flag_overdue:{FLAG_STALL_AT}:{mid_escalation}",
        ]
    )
    # Production's visibility timeout: only REJECT_ON_WORKER_LOST can bring the messages back in time.
    t0 = time.monotonic()
    worker = broker.worker("prefork", pool="prefork", visibility_timeout=3600, stalls=stalls)
    rerun = []

    stalled = broker.stalled(after_commit)
    assert stalled["pid"] != worker.popen.pid, "the stall is in a pool child, not the worker's main process"
    user = task_user[stalled["task_id"]]
    assert PointsAward.objects.filter(user_id=user).exists(), "(a) the award is committed"
    assert broker.unacked_task_ids() == [stalled["task_id"]], "(a) and its message not acknowledged"
    killed(stalled["pid"])
    rerun.append(stalled["task_id"])

    stalled = broker.stalled(in_transaction)
    user = task_user[stalled["task_id"]]
    assert not PointsAward.objects.filter(user_id=user).exists(), "(b) nothing is committed yet"
    assert not PointsEntry.objects.filter(account__user_id=user).exists()
    assert broker.unacked_task_ids() == [stalled["task_id"]]
    killed(stalled["pid"])
    rerun.append(stalled["task_id"])

    stalled = broker.stalled(mid_escalation)
    assert stalled["task_id"] == escalation
    assert sum(_overdue_events(tasks).values()) == FLAG_STALL_AT, "(c) 3 tasks flagged, their events written"
    assert broker.unacked_task_ids() == [escalation]
    killed(stalled["pid"])
    rerun.append(escalation)

    until(
        "the requeued tasks to run again and the rest",
        _settled(broker, [worker], rerun, lambda: _overdue_events(tasks).total() >= OVERDUE),
        [worker],
    )
    print(f"\nprefork worker, pool child killed 3 times: all done in {time.monotonic() - t0:.1f} s")

    assert worker.popen.poll() is None, "the worker itself survived"
    assert sum("WorkerLostError" in line for line in worker.lines) >= 3
    for task_id in rerun:
        assert log_count(worker, task_id, "received") == 2, "delivered twice: to the killed child, then again"
    _assert_each_award_paid_once(task_user)
    _assert_each_task_flagged_once(tasks)
    record("5 faults: pool child killed mid-task", tried=3, passed=3)


def test_a_killed_worker_has_its_task_run_by_another_worker_and_every_effect_happens_once(broker, tmp_path):
    """A solo worker is SIGKILLed as a whole after an award committed and before its ack: nobody
    is left to give the message back. A second worker's sweep finds it in the unacked hash, older
    than the visibility timeout, restores it and runs it again."""
    task_user = _enqueue_awards(broker)
    marker = tmp_path / "stall.json"
    t0 = time.monotonic()
    first = broker.worker(
        "first", pool="solo", visibility_timeout=2, stalls=f"rewards.ledger:points_award:{STALL_AT}:{marker}"
    )
    stalled = broker.stalled(marker)
    task_id = stalled["task_id"]
    assert stalled["pid"] == first.popen.pid
    assert PointsAward.objects.filter(user_id=task_user[task_id]).exists(), "the stalled task's award is committed"
    assert broker.unacked_task_ids() == [task_id], "and its message is not acknowledged"

    killed(first.popen.pid)
    first.popen.wait(timeout=10)
    assert broker.unacked_task_ids() == [task_id], "a dead worker cannot give its message back"
    assert PointsAward.objects.filter(user_id__in=task_user.values()).count() == STALL_AT

    second = broker.worker("second", pool="solo", visibility_timeout=2)
    until(
        "the second worker to run the abandoned task and the rest",
        _settled(
            broker,
            [second],
            [task_id],
            lambda: PointsAward.objects.filter(user_id__in=task_user.values()).count() >= AWARDS,
        ),
        [first, second],
    )
    print(f"\nsolo worker killed, a second one took over: all done in {time.monotonic() - t0:.1f} s")

    assert log_count(first, task_id, "received") == 1 and log_count(first, task_id, "succeeded") == 0
    assert log_count(second, task_id, "received") == 1, "the abandoned message was delivered again"
    _assert_each_award_paid_once(task_user)
    record("5 faults: worker killed mid-task", tried=1, passed=1)


def test_a_redelivered_notification_message_never_sends_twice(broker, tmp_path, smtp_server, settings, monkeypatch):
    """E-mail notifications to a real SMTP server (aiosmtpd), delivered by a real prefork worker.
    The pool child is SIGKILLed right after the SMTP server took the first message, before its row is
    marked sent and before the task's message is acknowledged: the parent puts the message back and
    the next child runs it again. The same message is also published twice outright (a producer's
    retry). Each row claims itself with one guarded update (pending → sending), so each e-mail
    reaches the server once: the re-runs find nothing to claim."""
    from govern.models import Notification, NotificationStatus

    users = [UserFactory(email=f"n{i}@example.org") for i in range(3)]
    rows = [
        Notification.objects.create(
            user=user, event_id=900_000 + i, kind="dispatcher_notice", channel="email", data={"text": "台风预警"}
        )
        for i, user in enumerate(users)
    ]
    ids = [row.pk for row in rows]
    monkeypatch.setenv("EMAIL_HOST", settings.EMAIL_HOST)
    monkeypatch.setenv("EMAIL_PORT", str(settings.EMAIL_PORT))
    marker = tmp_path / "stall-email.json"
    first = broker.send("govern.tasks.deliver_notifications", ids=ids)
    worker = broker.worker(
        "notify", pool="prefork", visibility_timeout=3600, stalls=f"govern.notify.channels.email:send:1:{marker}"
    )

    stalled = broker.stalled(marker)
    assert stalled["task_id"] == first and stalled["pid"] != worker.popen.pid
    assert len(smtp_server) == 1, "the SMTP server has the first e-mail"
    assert Notification.objects.get(pk=ids[0]).status == NotificationStatus.SENDING, "its row not marked sent"
    assert broker.unacked_task_ids() == [first], "and the message not acknowledged"
    killed(stalled["pid"])

    until("the requeued delivery to run again", _settled(broker, [worker], [first], lambda: True), [worker])
    second = broker.send("govern.tasks.deliver_notifications", ids=ids)  # the same work, published again
    until("the duplicate to run", _settled(broker, [worker], [second], lambda: True), [worker])

    assert log_count(worker, first, "received") == 2, "delivered twice: to the killed child, then again"
    recipients = sorted(rcpt for envelope in smtp_server for rcpt in envelope.rcpt_tos)
    assert recipients == sorted(u.email for u in users), "each e-mail reached the server exactly once"
    statuses = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "status"))
    # the killed send stays `sending` (the sweep gives it back after STUCK_AFTER: at-least-once for a
    # send nobody heard the end of); the others are sent, once
    assert statuses == {ids[0]: NotificationStatus.SENDING, ids[1]: "sent", ids[2]: "sent"}
    record("5 faults: notification delivery redelivered", tried=2, passed=2)
