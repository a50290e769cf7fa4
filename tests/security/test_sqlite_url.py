"""Issue 21 item 19: a DATABASE_URL naming a SQLite file gets the embedded SQLite settings.

Without WAL, IMMEDIATE transactions and a busy timeout, concurrent writers answered 500 "database
is locked" (12 of 30 concurrent redemptions). The settings are read in a fresh process, since they
are fixed at import time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy = cursor.fetchone()[0]
print(json.dumps({"options": settings.DATABASES["default"]["OPTIONS"], "journal": mode, "busy_ms": busy,
                  "name": str(settings.DATABASES["default"]["NAME"])}))
"""


def test_a_sqlite_database_url_gets_wal_immediate_and_a_busy_timeout(tmp_path):
    database = tmp_path / "by-url.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL"))}
    env.update({"DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "govern.settings"})
    env["DJANGO_DEBUG"] = "1"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["name"] == str(database)
    assert seen["options"]["transaction_mode"] == "IMMEDIATE"
    assert seen["options"]["timeout"] >= 5
    assert seen["journal"] == "wal"
    assert seen["busy_ms"] >= 5000
