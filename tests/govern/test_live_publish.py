"""govern.live.publish: the outbox row in the caller's transaction, the send only on commit, a
channel layer that is down never failing the request; and the notice service that uses it."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer
from django.core.management import call_command
from django.db import transaction

from govern import live
from govern.errors import InvalidInput
from govern.live import (
    DISPATCH_TOPIC,
    current_event_id,
    drain_sends,
    grid_topic,
    hazard_topic,
    publish,
    topic_group,
    user_topic,
)
from govern.live_services import notice_publish
from govern.models import LiveEvent, LiveEventTopic
from govern.pipeline import atomic_pipelined
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _Sent(list):
    """The recorded sends; reading them first waits for the sends handed over to the sender
    thread (a network layer's sends are not waited for by the publishing request)."""

    def _settled(self) -> None:
        assert drain_sends(5)

    def __iter__(self):
        self._settled()
        return super().__iter__()

    def __eq__(self, other):
        self._settled()
        return list.__eq__(self, other)

    __hash__ = None


@pytest.fixture
def sent(monkeypatch):
    """Every group_send the real channel layer is asked to do, recorded then performed."""
    layer = get_channel_layer()
    calls = _Sent()
    real = layer.group_send

    async def recording(group, message):
        calls.append((group, message))
        return await real(group, message)

    monkeypatch.setattr(layer, "group_send", recording)
    return calls


def test_publish_writes_the_event_and_its_topics_and_sends_on_commit(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = publish([DISPATCH_TOPIC, grid_topic(3), DISPATCH_TOPIC], "hazard.created", {"id": 7})
        assert sent == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert event.topics == ["dispatch", "grid:3"]
    assert sorted(LiveEventTopic.objects.filter(event=event).values_list("topic", flat=True)) == ["dispatch", "grid:3"]
    message = event.as_message()
    assert set(message) == {"id", "type", "data", "at"}
    assert sorted(group for group, _ in sent) == [topic_group("dispatch"), topic_group("grid:3")]
    for _, payload in sent:
        assert payload == {"type": "live.event", "event": message, "topics": ["dispatch", "grid:3"], "prev": 0}


def test_nothing_is_sent_or_kept_when_the_transaction_rolls_back(sent, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish([DISPATCH_TOPIC], "hazard.created", {})
        raise RuntimeError("the service failed after publishing")
    assert callbacks == [] and sent == []
    assert not LiveEvent.objects.exists()


def test_a_rolled_back_savepoint_drops_only_its_event(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        kept = publish([DISPATCH_TOPIC], "hazard.created", {"n": 1})
        try:
            with transaction.atomic():
                publish([DISPATCH_TOPIC], "hazard.created", {"n": 2})
                raise ValueError
        except ValueError:
            pass
    assert list(LiveEvent.objects.values_list("id", flat=True)) == [kept.pk]
    assert [payload["event"]["id"] for _, payload in sent] == [kept.pk]


def test_publish_many_writes_its_events_in_order_with_a_prev_chain(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = publish([DISPATCH_TOPIC], "hazard.created", {})
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        second, third = live.publish_many(
            [
                ([user_topic(1)], "points.changed", {"n": 2}),
                ([user_topic(1), DISPATCH_TOPIC], "redemption.updated", {"n": 3}),
            ]
        )
        assert [p["event"]["id"] for _, p in sent] == [first.pk]  # the batch leaves on commit
    assert len(callbacks) == 1  # one delivery for the batch, which sends its events in order
    assert first.pk < second.pk < third.pk
    assert list(LiveEvent.objects.filter(pk__gt=first.pk).values_list("type", "data")) == [
        ("points.changed", {"n": 2}),
        ("redemption.updated", {"n": 3}),
    ]
    assert sorted(LiveEventTopic.objects.filter(event=third).values_list("topic", flat=True)) == ["dispatch", "user:1"]
    assert third.as_message()["at"]  # created_at is set by the bulk insert too
    prevs = {p["event"]["id"]: p["prev"] for _, p in sent}
    assert prevs == {first.pk: 0, second.pk: first.pk, third.pk: second.pk}
    order = [p["event"]["id"] for _, p in sent]
    assert order.index(second.pk) < order.index(third.pk)


def test_events_published_in_a_pipeline_get_their_ids_by_the_end_of_the_block_and_leave_on_commit(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = publish([DISPATCH_TOPIC], "hazard.created", {})
    with django_capture_on_commit_callbacks(execute=True):
        # As a report does it: the COMMIT inside the pipeline, sent with the lock and the events.
        with atomic_pipelined():
            second, third = live.publish_many(
                [
                    ([user_topic(1)], "points.changed", {"n": 2}),
                    ([DISPATCH_TOPIC], "hazard.created", {"n": 3}),
                ]
            )
        assert first.pk < second.pk < third.pk
        assert [p["event"]["id"] for _, p in sent] == [first.pk]
    assert {p["event"]["id"]: p["prev"] for _, p in sent} == {first.pk: 0, second.pk: first.pk, third.pk: second.pk}
    assert LiveEvent.objects.get(pk=third.pk).data == {"n": 3}


def test_publish_many_checks_every_event_before_writing_any():
    with pytest.raises(ValueError, match="unknown live topic"):
        live.publish_many([([user_topic(1)], "points.changed", {}), (["nowhere"], "points.changed", {})])
    assert not LiveEvent.objects.exists()
    assert live.publish_many([]) == []


def test_prev_is_the_newest_event_when_written(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = publish([DISPATCH_TOPIC], "hazard.created", {})
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        second = publish([user_topic(1)], "points.changed", {})
        third = publish([DISPATCH_TOPIC], "hazard.created", {})
    prevs = {payload["event"]["id"]: payload["prev"] for _, payload in sent}
    assert prevs == {first.pk: 0, second.pk: first.pk, third.pk: second.pk}


def test_a_down_channel_layer_does_not_fail_the_publishing_transaction(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    layer = get_channel_layer()

    async def down(group, message):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(layer, "group_send", down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = publish([DISPATCH_TOPIC, grid_topic(1)], "hazard.created", {"n": 1})
    assert LiveEvent.objects.filter(pk=event.pk).exists()  # committed, replayable
    assert drain_sends(5)  # a network layer's sends are handed over, not waited for
    assert "stays replayable" in caplog.text


def test_a_hanging_channel_layer_is_given_up_on(monkeypatch, settings, django_capture_on_commit_callbacks, caplog):
    import asyncio

    settings.LIVE_SEND_TIMEOUT = 0.05
    layer = get_channel_layer()

    async def hangs(group, message):
        await asyncio.sleep(30)

    monkeypatch.setattr(layer, "group_send", hangs)
    with django_capture_on_commit_callbacks(execute=True):
        event = publish([DISPATCH_TOPIC], "hazard.created", {})
    assert LiveEvent.objects.filter(pk=event.pk).exists()
    assert drain_sends(5)
    assert "stays replayable" in caplog.text


def test_a_missing_layer_module_does_not_fail_the_request(monkeypatch, django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise ImportError("channels_redis missing")

    monkeypatch.setattr(live, "get_channel_layer", broken)
    with django_capture_on_commit_callbacks(execute=True):
        event = publish([DISPATCH_TOPIC], "hazard.created", {})
    assert LiveEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    ("topics", "type_", "data"),
    [
        ([DISPATCH_TOPIC], "HazardCreated", {}),
        ([DISPATCH_TOPIC], "hazard", {}),
        ([], "hazard.created", {}),
        (["grid-3"], "hazard.created", {}),
        (["hazard:a/b"], "hazard.created", {}),
        (["user:0"], "hazard.created", {}),
        ([DISPATCH_TOPIC], "hazard.created", ["not", "an", "object"]),
    ],
)
def test_malformed_events_are_programming_errors(topics, type_, data):
    with pytest.raises(ValueError):
        publish(topics, type_, data)
    assert not LiveEvent.objects.exists()


def test_topic_groups_are_distinct_and_valid():
    topics = [user_topic(12), grid_topic(12), DISPATCH_TOPIC, hazard_topic("AB12-cd_9"), hazard_topic("x" * 40)]
    groups = [topic_group(t) for t in topics]
    assert len(set(groups)) == len(groups)
    layer = get_channel_layer()
    for group in groups:
        assert layer.require_valid_group_name(group)


def test_current_event_id_is_the_newest_id_or_zero():
    assert current_event_id() == 0
    publish([DISPATCH_TOPIC], "hazard.created", {})
    newest = publish([DISPATCH_TOPIC], "hazard.created", {})
    assert current_event_id() == newest.pk


# --- system.notice -------------------------------------------------------------------------------


def test_notice_publish_sends_a_system_notice(django_capture_on_commit_callbacks, sent):
    sender = UserFactory(display_name="值班民警")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = notice_publish(
            topics=[DISPATCH_TOPIC, grid_topic(2)],
            text="  台风预警：今晚收好户外物品  ",
            level="warning",
            sender=sender,
        )
    assert len(callbacks) == 1
    assert (event.type, event.topics) == ("system.notice", ["dispatch", "grid:2"])
    assert event.data == {"text": "台风预警：今晚收好户外物品", "level": "warning", "sender": "值班民警"}
    assert {payload["event"]["id"] for _, payload in sent} == {event.pk}


def test_notice_defaults_to_the_dispatchers():
    assert notice_publish(topics=[], text="hello").topics == ["dispatch"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": "  "}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"text": "ok", "level": "panic"}, "level"),
        ({"text": "ok", "topics": ["everyone"]}, "topics"),
    ],
)
def test_notice_publish_refuses_bad_input_and_writes_nothing(kwargs, field):
    with pytest.raises(InvalidInput) as refused:
        notice_publish(**{"topics": [DISPATCH_TOPIC], **kwargs})
    assert refused.value.field == field
    assert not LiveEvent.objects.exists()


def test_notice_task_publishes_through_the_service():
    from govern.tasks import notice_publish as task

    sender = UserFactory()
    event_id = task.delay([grid_topic(5)], "停电检修 14:00-16:00", "info", sender.pk).get()
    event = LiveEvent.objects.get(pk=event_id)
    assert (event.type, event.topics, event.data["sender"]) == ("system.notice", ["grid:5"], sender.username)


def test_send_notice_command(capsys):
    call_command("send_notice", "消防通道检查", "--topic", "dispatch", "--topic", grid_topic(4), "--level", "critical")
    event = LiveEvent.objects.get()
    assert event.data["level"] == "critical" and event.topics == ["dispatch", "grid:4"]
    assert f"#{event.pk}" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_notice_with_a_ref_is_sent_once_however_often_it_is_delivered():
    from govern.live_services import notice_publish
    from govern.models import LiveEvent
    from govern.tasks import notice_publish as notice_task

    first = notice_publish(topics=["dispatch"], text="停水通知", ref="task-1")
    again = notice_publish(topics=["dispatch"], text="停水通知", ref="task-1")
    other = notice_publish(topics=["dispatch"], text="停水通知", ref="task-2")
    assert again.pk == first.pk and other.pk != first.pk and first.data["ref"] == "task-1"
    # The Celery task passes its own id: a redelivery (same id) publishes nothing new.
    sent = notice_task.apply(args=[["dispatch"], "台风预警"], task_id="same-delivery").get()
    assert notice_task.apply(args=[["dispatch"], "台风预警"], task_id="same-delivery").get() == sent
    assert LiveEvent.objects.filter(type="system.notice").count() == 3


def test_a_hung_channel_layer_cannot_pile_sends_up_without_bound(monkeypatch):
    import asyncio

    monkeypatch.setattr(live, "MAX_PENDING_SENDS", 3)
    sender = live._SenderLoop()
    release = []

    async def hung():
        while not release:
            await asyncio.sleep(0.01)

    queued = [sender.submit(hung()) for _ in range(3)]
    assert all(f is not None for f in queued)
    assert sender.submit(hung()) is None  # the fourth is dropped (its event stays in the outbox)
    release.append(True)
    assert sender.drain(5)
    assert sender.submit(hung()) is not None  # room again once the queue drained
    assert sender.drain(5)
