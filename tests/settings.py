"""Test settings: the real settings module, with test-only overrides.

Both CI passes use this: embedded (SQLite, in-memory layer) and services (DATABASE_URL, REDIS_URL
from the environment). Celery stays eager inside the test process; tests that need a real worker
start one themselves (marked `services`).
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "govern-test-secret-key-not-for-production-0123456789abcdef")


def _worker_redis_url(url: str, worker: int) -> str:
    """Each xdist worker its own Redis database (cache, channel layer, broker, throttles), two
    numbers apart: the bench smoke test flushes the number after its worker's (REDIS_URL + 1)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 2 * worker) % 12}"))


# Set in the environment, not only in settings, so the servers and workers a test starts as
# subprocesses use the same database; marked so that their own import of this module keeps it.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker.startswith("gw") and os.environ.get("REDIS_URL") and not os.environ.get("GOVERN_TEST_REDIS_WORKER"):
    os.environ["REDIS_URL"] = _worker_redis_url(os.environ["REDIS_URL"], int(_xdist_worker[2:]))
    os.environ["GOVERN_TEST_REDIS_WORKER"] = _xdist_worker

from govern.settings import *  # noqa: F403, E402
from govern.settings import REST_FRAMEWORK  # noqa: E402

DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = os.environ.get("GOVERN_TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="govern-test-media-")
PHOTO_QUARANTINE_ROOT = os.environ.get("GOVERN_TEST_QUARANTINE_ROOT") or tempfile.mkdtemp(
    prefix="govern-test-quarantine-"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "quarantine": {"BACKEND": "govern.media.quarantine.QuarantineStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
CELERY_TASK_ALWAYS_EAGER = True
# Tests run periodic jobs themselves; the in-process scheduler of `make run` stays off
# (tests/govern/test_embedded_beat.py starts a real server with it on).
EMBEDDED_BEAT = False
LANGUAGE_CODE = "zh-hans"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    # Generous rates so ordinary tests never trip throttles; throttle tests lower them.
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "10000/min"),
}
# Serve static files from the finders (no collectstatic in tests); give whitenoise a root.
STATIC_ROOT = tempfile.mkdtemp(prefix="govern-test-static-")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # The embedded test database is a WAL file like the one `make run` serves, not SQLite's
    # shared-cache memory database: there a page's read that meets a write to the same table
    # fails at once with "database table is locked" (shared-cache table locks ignore the busy
    # timeout), which the browser tests' live server hit as a 500. In WAL readers never wait and
    # writers wait up to the timeout. On tmpfs when there is one, so the file costs no disk I/O;
    # pytest-django gives each xdist worker its own copy.
    _test_db_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    DATABASES["default"]["TEST"] = {  # noqa: F405
        # Per process (Django deletes the file when the run ends), so parallel runs never meet.
        "NAME": os.path.join(_test_db_dir, f"govern-test-{os.getuid()}-{os.getpid()}.sqlite3"),
    }
NOTIFY_SMS_FILE = os.path.join(tempfile.mkdtemp(prefix="govern-test-sms-"), "sms.log")
