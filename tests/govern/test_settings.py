"""The settings refuse unsafe production starts; check --deploy is clean with production env."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


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
