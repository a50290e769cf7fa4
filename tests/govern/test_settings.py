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


def test_storages_come_from_the_environment():
    """Media and the quarantine each in a bucket, set by environment variables alone; the
    quarantine in the (public) media bucket is refused at startup (hazards.E001)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({k: settings.STORAGES[k] for k in ('default', 'quarantine')}))"
    )
    base = {
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "govern.settings",
        "MEDIA_S3_BUCKET": "govern-media",
        "S3_ENDPOINT_URL": "https://s3.example.org",
        "QUARANTINE_S3_BUCKET": "govern-quarantine",
        "QUARANTINE_S3_PREFIX": "/uploads/",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | base
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    import json

    storages = json.loads(run.stdout.strip().splitlines()[-1])
    assert storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storages["default"]["OPTIONS"]["bucket_name"] == "govern-media"
    quarantine = storages["quarantine"]
    assert quarantine["BACKEND"] == "govern.media.s3_quarantine.S3QuarantineStorage"
    assert quarantine["OPTIONS"]["bucket_name"] == "govern-quarantine"
    assert quarantine["OPTIONS"]["location"] == "uploads"
    assert quarantine["OPTIONS"]["endpoint_url"] == "https://s3.example.org"
    assert _run(base, "check").returncode == 0

    refused = _run({**base, "QUARANTINE_S3_BUCKET": "govern-media"}, "check")
    assert refused.returncode != 0 and "hazards.E001" in refused.stderr, refused.stderr
