"""The settings refuse unsafe production starts; check --deploy is clean with production env."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_refuses_to_start_without_secret_key_when_debug_off():
    result = _run({"DJANGO_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "govern.settings"}, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_in_production_settings():
    result = _run(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "govern.settings",
            "DJANGO_SECRET_KEY": "k" * 20 + "Production-Like-Secret-Key-0123456789-abcdefghij",
            "DJANGO_ALLOWED_HOSTS": "govern.example.org",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_broker_visibility_timeout_outlasts_every_task_and_retry_countdown():
    """Redis requeues a message unacknowledged for visibility_timeout seconds (meant for messages of
    dead workers): shorter than a task's time limit plus its longest retry countdown (a worker holds
    an ETA message unacknowledged until then), and live workers' tasks would run twice at once."""
    from django.conf import settings

    from govern.celery import app

    app.loader.import_default_modules()
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"rewards.tasks.award_points", "hazards.tasks.escalate_tasks"} <= set(ours)
    for name, task in ours.items():
        limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        if getattr(task, "retry_backoff", False):  # set on tasks with autoretry_for
            countdown = getattr(task, "retry_backoff_max", 600)
        else:
            countdown = task.default_retry_delay or 0
        assert visibility > limit + countdown, name
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
