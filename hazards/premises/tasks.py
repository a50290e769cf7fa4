"""Premises Celery tasks: thin wrappers that call services."""

from celery import shared_task


@shared_task(name="hazards.premises.tasks.prune_alert_history")
def prune_alert_history() -> int:
    """Beat job (every 6 h): sensor readings older than ALERT_HISTORY_RETENTION_DAYS that changed nothing."""
    from hazards.premises.alerts.retention import alert_history_prune

    return alert_history_prune()
