"""Kernel Celery tasks: thin wrappers that call services."""

from celery import shared_task


@shared_task(name="govern.tasks.prune_live_events")
def prune_live_events() -> int:
    from govern.live_services import live_events_prune

    return live_events_prune()
