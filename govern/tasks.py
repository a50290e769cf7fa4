"""Kernel Celery tasks: thin wrappers that call services."""

from celery import shared_task


@shared_task(name="govern.tasks.prune_live_events")
def prune_live_events() -> int:
    """Retention for the live outbox (hourly, CELERY_BEAT_SCHEDULE "prune-live-events")."""
    from govern.live_services import live_events_prune

    return live_events_prune()


@shared_task(name="govern.tasks.notice_publish", bind=True)
def notice_publish(self, topics: list[str], text: str, level: str = "info", sender_id: int | None = None) -> int:
    """Send a `system.notice` from a worker: for notices scheduled with beat or sent from another
    process (`celery call`, a shell). Returns the event id."""
    from govern.live_services import notice_publish as publish_notice
    from govern.models import User

    sender = User.objects.filter(pk=sender_id).first() if sender_id else None
    # The task id survives redelivery: a worker killed after the commit does not notify twice.
    return publish_notice(topics=topics, text=text, level=level, sender=sender, ref=self.request.id or "").pk


@shared_task(name="govern.tasks.send_pending_tasks")
def send_pending_tasks() -> int:
    """Beat job (every minute): hand the broker the tasks that commits made while it was down."""
    from govern.task_outbox import send_pending_tasks as send

    return send()


@shared_task(name="govern.tasks.clear_sessions")
def clear_sessions() -> None:
    """Beat job (every 6 h): delete expired sessions (they expire after SESSION_COOKIE_AGE, env
    SESSION_COOKIE_AGE, 14 days; Django never deletes them by itself)."""
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


@shared_task(name="govern.tasks.deliver_notifications")
def deliver_notifications(ids: list[int]) -> int:
    """Send the notification rows a commit wrote (govern.notify). Idempotent: each row is claimed
    with a guarded update, so a redelivered message sends nothing twice."""
    from govern.notify.delivery import deliver

    return deliver(ids)


@shared_task(name="govern.tasks.sweep_notifications")
def sweep_notifications() -> int:
    """Beat job (every minute): ladder steps and deferred messages that are due, retries, and what a
    broker outage at commit left."""
    from govern.notify.delivery import sweep

    return sweep()
