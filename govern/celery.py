"""The Celery app, configured from Django settings (CELERY_* names).

Embedded mode (no REDIS_URL) runs tasks eagerly in-process; services mode uses Redis as broker
with a separate `celery -A govern worker` and `celery -A govern beat`.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govern.settings")

app = Celery("govern")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _redbeat_settings(sender, **kwargs):
    """celery-redbeat looks its settings up by their bare names (redbeat_redis_url, ...), which the
    CELERY_ namespace of Django's settings does not give it (it then warned and dropped the Redis
    options): hand them over under those names. Read from Django's settings, not by iterating
    sender.conf, whose namespaced view raises KeyError on its own bookkeeping keys."""
    from django.conf import settings

    sender.conf.update(
        {
            name.removeprefix("CELERY_").lower(): getattr(settings, name)
            for name in dir(settings)
            if name.startswith("CELERY_REDBEAT_")
        }
    )


@task_prerun.connect
def _log_task_id(task_id=None, task=None, **kwargs):
    """A task's log lines carry its id where a request's carry the request id (govern.logs)."""
    from govern.logs import bind_task

    if task is not None and not task.request.is_eager:  # an eager task keeps its request's id
        task._govern_log_token = bind_task(task_id)


@task_postrun.connect
def _unlog_task_id(task=None, **kwargs):
    from govern.logs import unbind

    token = getattr(task, "_govern_log_token", None)
    if token is not None:
        unbind(token)
        task._govern_log_token = None
