"""The Celery app, configured from Django settings (CELERY_* names).

Embedded mode (no REDIS_URL) runs tasks eagerly in-process; services mode uses Redis as broker
with a separate `celery -A govern worker` and `celery -A govern beat`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govern.settings")

app = Celery("govern")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
