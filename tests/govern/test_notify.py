"""Notifications (govern.notify): rows written with the live event, delivered after commit once per
(event, user, channel), over a real SMTP server and a real Web Push receiver; SMS signing against
Aliyun's published example; quiet hours; nothing lost when the broker is down at commit."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from celery import current_app
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.live import user_topic
from govern.live_services import notice_publish
from govern.models import Notification, NotificationStatus, PendingTask
from govern.notify import delivery, prefs, services
from govern.notify.channels import sms
from govern.tasks import deliver_notifications
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def notify(run_on_commit):
    def send(user, text="楼道堵塞，请注意", level="warning"):
        return run_on_commit(notice_publish, topics=[user_topic(user.pk)], text=text, level=level)

    return send


def rows(user, channel):
    return list(Notification.objects.filter(user=user, channel=channel).order_by("id"))


def test_rows_are_written_with_the_event_and_never_without_it(notify):
    user = UserFactory()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        notify(user)
        assert Notification.objects.filter(user=user).count() == 2  # inbox + push, in the same transaction
        1 / 0  # noqa: B018 - the publisher fails after the event
    assert not Notification.objects.exists()

    event = notify(user)
    inbox, push = rows(user, "inbox")[0], rows(user, "push")[0]
    assert inbox.event_id == push.event_id == event.pk and inbox.status == NotificationStatus.SENT
    # push is not configured here: skipped with the reason recorded, not lost and not retried
    assert push.status == NotificationStatus.SKIPPED and push.last_error == _("push is not configured on this server")


def test_unique_per_event_user_channel(notify):
    from django.db import IntegrityError

    user = UserFactory()
    event = notify(user)
    row = rows(user, "inbox")[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=user, event_id=event.pk, kind=row.kind, channel="inbox")


def test_email_reaches_a_real_smtp_server_once_even_when_redelivered(smtp_server, notify):
    user = UserFactory(email="zhang@example.org")
    services.notification_preferences_update(actor=user, channels={"dispatcher_notice": ["email"]})
    notify(user, text="今晚停电检修")
    assert len(smtp_server) == 1
    envelope = smtp_server[0]
    assert envelope.rcpt_tos == ["zhang@example.org"]
    message = envelope.content.decode()
    assert "X-Govern-Notification" in message
    row = rows(user, "email")[0]
    assert row.status == NotificationStatus.SENT and row.sent_at is not None
    # The same Celery message delivered again (a worker died before its ack): nothing is sent twice.
    deliver_notifications.apply(kwargs={"ids": [row.pk]}).get()
    assert delivery.sweep(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(smtp_server) == 1


def test_email_without_address_is_skipped_with_the_reason(smtp_server, notify):
    user = UserFactory(email="")
    services.notification_preferences_update(actor=user, channels={"dispatcher_notice": ["email"]})
    notify(user)
    row = rows(user, "email")[0]
    assert row.status == NotificationStatus.SKIPPED and row.last_error and smtp_server == []


def test_smtp_down_is_retried_with_backoff_then_sent(settings, smtp_server, notify):
    user = UserFactory(email="li@example.org")
    services.notification_preferences_update(actor=user, channels={"dispatcher_notice": ["email"]})
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there: connection refused
    notify(user)
    row = rows(user, "email")[0]
    assert row.status == NotificationStatus.PENDING and row.attempts == 1 and "smtp" in row.last_error
    assert row.due_at > timezone.now()  # backed off
    settings.EMAIL_PORT = port
    assert delivery.sweep() == 0  # not due yet
    assert delivery.sweep(now=row.due_at + timedelta(seconds=1)) == 1
    assert len(smtp_server) == 1 and rows(user, "email")[0].status == NotificationStatus.SENT


def test_web_push_is_encrypted_for_the_subscription_and_signed_with_vapid(vapid, push_receiver, notify):
    user = UserFactory()
    sub = push_receiver.subscription()
    services.push_subscribe(
        actor=user, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]
    )
    event = notify(user, text="台风预警：今晚加固广告牌")
    assert len(push_receiver.received) == 1
    got = push_receiver.received[0]
    assert "error" not in got, got
    assert got["data"]["title"] and got["data"]["body"] == "台风预警：今晚加固广告牌"
    assert got["data"]["url"] == "/me/notifications/" and got["data"]["kind"] == "dispatcher_notice"
    assert got["claims"]["sub"] == "mailto:duty@example.org"
    from tests.notify_support import public_point

    assert got["server_key"] == public_point(vapid)  # signed with the server's key
    push = Notification.objects.get(event_id=event.pk, channel="push")
    assert push.status == NotificationStatus.SENT


def test_a_gone_push_subscription_is_forgotten(vapid, push_receiver, notify):
    from govern.models import PushSubscription

    user = UserFactory()
    sub = push_receiver.subscription()
    services.push_subscribe(
        actor=user, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]
    )
    push_receiver.status = 410
    notify(user)
    assert not PushSubscription.objects.exists()
    assert rows(user, "push")[0].status == NotificationStatus.SKIPPED


def test_aliyun_signature_matches_the_published_example():
    # Alibaba Cloud SMS "签名机制" worked example (SendSms, AccessKeyId testId / secret testSecret).
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert sms.aliyun_signature("testSecret", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert sms.aliyun_signed_query("testSecret", params) == (
        "Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123"
        "&PhoneNumbers=15300000001&RegionId=cn-hangzhou"
        "&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8"
        "&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
        "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
        "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
    )


def test_sms_console_backend_in_embedded_mode(settings, notify):
    user = UserFactory(phone="13912345678")
    services.notification_preferences_update(actor=user, channels={"dispatcher_notice": ["sms"]})
    notify(user)
    line = json.loads(Path(settings.NOTIFY_SMS_FILE).read_text(encoding="utf-8").splitlines()[-1])
    assert line["phone"] == "13912345678" and line["kind"] == "dispatcher_notice"
    assert rows(user, "sms")[0].status == NotificationStatus.SENT


def test_sms_cap_per_hour_defers_the_rest(settings, notify):
    settings.NOTIFY_SMS_PER_HOUR = 2
    user = UserFactory(phone="13912345679")
    services.notification_preferences_update(actor=user, channels={"dispatcher_notice": ["sms"]})
    for n in range(3):
        notify(user, text=f"通知 {n}")
    statuses = [r.status for r in rows(user, "sms")]
    assert statuses == [NotificationStatus.SENT, NotificationStatus.SENT, NotificationStatus.PENDING]
    assert rows(user, "sms")[2].last_error == _("SMS cap per hour reached; deferred")


def test_quiet_hours_defer_a_medium_notice_and_let_a_critical_one_through(settings, smtp_server, notify):
    user = UserFactory(email="wang@example.org")
    now = timezone.localtime()
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    services.notification_preferences_update(
        actor=user, channels={"dispatcher_notice": ["email"]}, quiet_start=start.isoformat(), quiet_end=end.isoformat()
    )
    notify(user, text="例行通知", level="warning")  # medium
    deferred = rows(user, "email")[0]
    assert deferred.status == NotificationStatus.PENDING and smtp_server == []
    assert timezone.localtime(deferred.due_at).time().replace(second=0) == end
    notify(user, text="燃气泄漏，立即撤离", level="critical")
    assert len(smtp_server) == 1 and "X-Govern-Notification" in smtp_server[0].content.decode()
    assert delivery.sweep(now=deferred.due_at + timedelta(seconds=1)) == 1
    assert len(smtp_server) == 2


def test_quiet_window_crossing_midnight():
    tz = timezone.get_current_timezone()
    at = datetime(2026, 12, 2, 23, 30, tzinfo=tz)
    until = prefs.quiet_until(time(22, 0), time(7, 0), at)
    assert timezone.localtime(until) == datetime(2026, 12, 3, 7, 0, tzinfo=tz)
    assert prefs.quiet_until(time(22, 0), time(7, 0), at.replace(hour=12)) == at.replace(hour=12)


def test_broker_down_at_commit_loses_nothing(settings, smtp_server, notify):
    """Not eager, a broker that refuses connections: the request succeeds, the rows stay pending
    (and the task outbox keeps its row); the sweep sends them when it runs."""
    user = UserFactory(email="zhao@example.org")
    services.notification_preferences_update(actor=user, channels={"dispatcher_notice": ["email"]})
    # A Celery app of its own whose broker refuses connections, made current for the commit only:
    # the shared app (and its connection pool) stays as the other tests left it.
    from celery import Celery

    down = Celery("broker-down", broker="redis://127.0.0.1:1/0", set_as_current=False)
    down.conf.task_always_eager = False
    down.conf.broker_connection_timeout = 0.5
    original = current_app._get_current_object()
    down.set_current()
    try:
        notify(user, text="broker down")
    finally:
        original.set_current()
        down.close()
    row = rows(user, "email")[0]
    assert row.status == NotificationStatus.PENDING and smtp_server == []
    assert PendingTask.objects.filter(task_name="govern.tasks.deliver_notifications").exists()
    assert delivery.sweep() == 1
    assert len(smtp_server) == 1 and rows(user, "email")[0].status == NotificationStatus.SENT


def test_report_kinds_follow_the_real_hazard_statuses():
    from govern.notify.kinds import RULES, text

    fixed = {"from": "in_progress", "to": "rectified", "tracking_code": "K7QX9M"}
    [intent] = RULES["hazard.status_changed"](fixed, ["user:5", "hazard:K7QX9M"])
    assert (intent.kind, intent.user_ids) == ("report_update", (5,))
    title, _body, url = text("report_update", fixed)
    assert title == _("Your report was fixed: see the after-photo") and url == "/track/K7QX9M/"
    assert RULES["hazard.status_changed"]({"from": "triaged", "to": "reopened"}, ["user:5"]) == []


def test_a_sensor_alert_is_notified_when_raised_or_escalated_not_when_it_repeats():
    from govern.notify.kinds import RULES

    rule = RULES["sensor.alert"]
    assert [i.kind for i in rule({"kind": "raise", "severity": "high"}, ["user:3"])] == ["sensor_alert"]
    assert rule({"kind": "update", "severity": "high"}, ["user:3"]) == []  # same alert, nothing new
    [escalated] = rule({"kind": "update", "severity": "critical"}, ["user:3", "dispatch", "grid:1"])
    assert escalated.severity == "critical" and escalated.dispatchers
    assert rule({"kind": "clear"}, ["user:3", "dispatch"]) == []


def test_quiet_hours_defer_a_medium_sensor_alert_and_let_a_critical_one_through(settings, smtp_server, run_on_commit):
    """The safety officer's quiet hours: a medium reading waits for the morning, a critical one wakes them."""
    from govern.live import publish

    officer = UserFactory(email="safety@example.org")
    now = timezone.localtime()
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    services.notification_preferences_update(
        actor=officer, channels={"sensor_alert": ["email"]}, quiet_start=start.isoformat(), quiet_end=end.isoformat()
    )
    topics = [user_topic(officer.pk)]
    run_on_commit(publish, topics, "sensor.alert", {"kind": "raise", "severity": "medium", "sensor": "T-1"})
    deferred = rows(officer, "email")[0]
    assert deferred.kind == "sensor_alert" and deferred.status == NotificationStatus.PENDING and smtp_server == []
    assert timezone.localtime(deferred.due_at).time().replace(second=0) == end
    run_on_commit(publish, topics, "sensor.alert", {"kind": "raise", "severity": "critical", "sensor": "T-2"})
    assert len(smtp_server) == 1 and rows(officer, "email")[1].status == NotificationStatus.SENT
    assert delivery.sweep(now=deferred.due_at + timedelta(seconds=1)) == 1
    assert len(smtp_server) == 2
