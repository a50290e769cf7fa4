"""govern settings: everything comes from the environment (cookiecutter-django style).

Two run modes, chosen by environment:
- embedded (default): SQLite under var/, in-memory channel layer, eager Celery, local-memory cache;
- services: DATABASE_URL (PostgreSQL) and REDIS_URL (channel layer, Celery broker, cache).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GOVERN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set and DJANGO_DEBUG is off: refusing to start. "
            "Set DJANGO_SECRET_KEY, or DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "govern-insecure-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_prometheus",
    "health_check",
    # Dependencies point one way: govern's kernel <- volunteers, rewards <- hazards <- wiring.
    "govern",
    "volunteers",
    "rewards",
    "hazards",
    "hazards.premises",
]

MIDDLEWARE = [
    # First and last: request counts and latencies for /metrics (django-prometheus).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id (the proxy's X-Request-ID, or a new one) for every log line of the request,
    # and one access-log line per request (path with secrets redacted, status, time, user).
    "govern.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "govern.middleware.ContentSecurityPolicyMiddleware",
    # A domain error a page lets out is a 4xx page, never a 500 (govern.pages).
    "govern.pages.DomainErrorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "govern.urls"
WSGI_APPLICATION = "govern.wsgi.application"
ASGI_APPLICATION = "govern.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "govern.context_processors.govern",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
    # A connection pool per server process (psycopg_pool, through Django's "pool" option): under
    # ASGI every request runs in a fresh thread, so persistent per-thread connections
    # (DB_CONN_MAX_AGE) pile up until max_connections runs out, and without them every request
    # pays for a new PostgreSQL backend (the biggest single cost of a short request). A request
    # borrows a connection for its duration and returns it when it finishes; at most
    # DB_POOL_MAX_SIZE per process, extra requests wait up to DB_POOL_TIMEOUT seconds for one.
    # 0 (the default) keeps one connection per request. Budget: processes x max size, plus Celery
    # workers, below PostgreSQL's max_connections.
    if env_int("DB_POOL_MAX_SIZE", 0) > 0:
        if DATABASES["default"]["CONN_MAX_AGE"]:
            raise ImproperlyConfigured(
                "DB_POOL_MAX_SIZE and DB_CONN_MAX_AGE exclude each other: pooled connections are reused already."
            )
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(env_int("DB_POOL_MIN_SIZE", 2), env_int("DB_POOL_MAX_SIZE", 0)),
            "max_size": env_int("DB_POOL_MAX_SIZE", 0),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "govern.sqlite3"}}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Whatever names the SQLite file (the embedded default or DATABASE_URL=sqlite:///...), it gets
    # the same safe options (issue 21 item 19): WAL lets readers run beside the one writer;
    # IMMEDIATE takes the write lock at BEGIN so that SQLite (which ignores SELECT ... FOR UPDATE)
    # still serialises writers instead of failing half-way with "database is locked"; the busy
    # timeout lets a writer wait for the lock instead of answering 500 at once.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "govern.User"

# --- Redis: channel layer, Celery broker, cache -------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# channels_redis waits for messages with a blocking read of 5 s (RedisChannelLayer.brpop_timeout);
# the socket timeout must stay above it, or an idle process's read times out first and takes a
# WebSocket down with it (redis-py's default is exactly 5 s: every idle socket dropped every ~5 s).
CHANNEL_LAYER_SOCKET_TIMEOUT = 15.0
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT,
                        "socket_connect_timeout": 2.0,
                        "socket_keepalive": True,
                    }
                ],
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
    # Throttle counters only; a Redis outage degrades them to misses instead of failing requests,
    # and short socket timeouts keep a hung Redis from stalling every request (govern.cache).
    CACHES = {
        "default": {
            "BACKEND": "govern.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "govern"}}

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# A request that enqueues on commit must not hang on a dead broker: fail fast, the task outbox
# (govern.task_outbox) keeps the task for the beat job.
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# Tasks are idempotent (they take ids and call services that check state), so a worker that
# dies mid-task may safely have the task delivered again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# How a task comes back when its worker dies (tests/security/test_worker_faults.py does both):
# - a pool child dies (OOM killer, segfault): the worker's main process sees it and puts the message
#   back at once (REJECT_ON_WORKER_LOST);
# - the whole worker dies (kill -9, the machine): its unacknowledged messages stay in Redis (kombu's
#   `unacked` hash) until a live worker's sweep finds them older than visibility_timeout and
#   requeues them. With kombu's defaults that sweep scans every ~100 s (unacked_restore_interval
#   10 s x unacked_restore_throttle 10), so recovery takes visibility_timeout + up to ~100 s.
# visibility_timeout must exceed the longest a worker legitimately holds a message unacknowledged:
# the task time limit, plus the countdown of a retry (the worker holds a message with an ETA until
# then; retry_backoff_max is 300-600 s). Shorter, and a live worker's message is run twice at once.
# tests/govern/test_settings.py checks this against every task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
# A worker that loses the broker cannot acknowledge the acks_late tasks it is running, so they will
# be delivered again anyway: stop them (Celery 6's default) rather than run two copies at once.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
# Celery logs through LOGGING below (JSON, request-free context) instead of its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat keeps its schedule in Redis (celery-redbeat), not in a file in the code checkout, and holds a
# Redis lock while it runs: a second `celery beat` (a standby, or one started by mistake on another
# machine) waits for the lock instead of sending every job twice. The lock lives
# CELERY_BEAT_MAX_LOOP_INTERVAL x 5 s and is renewed on every tick, so a standby takes over within
# about a minute of the active beat's death.
CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
CELERY_REDBEAT_REDIS_URL = REDIS_URL or "redis://127.0.0.1:6379/0"
CELERY_REDBEAT_KEY_PREFIX = "govern:beat"
CELERY_REDBEAT_REDIS_OPTIONS = {"socket_timeout": 5, "socket_connect_timeout": 5, "retry_period": 60}
CELERY_BEAT_MAX_LOOP_INTERVAL = env_int("CELERY_BEAT_MAX_LOOP_INTERVAL", 10)
CELERY_BEAT_SCHEDULE: dict = {
    "prune-live-events": {"task": "govern.tasks.prune_live_events", "schedule": timedelta(hours=1)},
    # Tasks owed by commits made while the broker was down (govern.task_outbox).
    "send-pending-tasks": {"task": "govern.tasks.send_pending_tasks", "schedule": timedelta(minutes=1)},
    # Expired coupon codes give their points and stock back (rewards; idempotent, once per code).
    "rewards-expire-redemptions": {"task": "rewards.tasks.expire_redemptions", "schedule": timedelta(minutes=5)},
    # Owners of codes expiring within REDEMPTION_EXPIRY_WARNING_HOURS are told, once per code (rewards).
    "rewards-warn-expiring-redemptions": {
        "task": "rewards.tasks.warn_expiring_redemptions",
        "schedule": timedelta(minutes=15),
    },
    # Points unspent for POINTS_EXPIRE_AFTER_DAYS expire, oldest first (rewards; off when 0; idempotent).
    "rewards-expire-points": {"task": "rewards.tasks.expire_points", "schedule": timedelta(hours=1)},
    # Dispatch escalation: late offers expire and are re-offered, past-due tasks are flagged (hazards).
    "hazards-escalate-tasks": {"task": "hazards.tasks.escalate_tasks", "schedule": timedelta(minutes=1)},
    # Volunteers whose phone stopped sending positions go off duty (volunteers).
    "volunteers-expire-silent-duty": {"task": "volunteers.tasks.expire_silent_duty", "schedule": timedelta(minutes=5)},
    # Photos whose processing message got lost (broker down at commit, worker killed) are re-enqueued.
    "hazards-sweep-photos": {"task": "hazards.tasks.sweep_photos", "schedule": timedelta(minutes=5)},
    # Quarantined uploads no row names (a request killed before its commit) are deleted once old.
    "hazards-sweep-quarantine": {"task": "hazards.tasks.sweep_quarantine", "schedule": timedelta(hours=1)},
    # Retention of tables that only grow (each with its setting below).
    "govern-clear-sessions": {"task": "govern.tasks.clear_sessions", "schedule": timedelta(hours=6)},
    "alerts-prune-history": {"task": "hazards.premises.tasks.prune_alert_history", "schedule": timedelta(hours=6)},
    # Notifications that are due (offer ladder, quiet hours over, retries, broker down at commit).
    "govern-sweep-notifications": {
        "task": "govern.tasks.sweep_notifications",
        "schedule": timedelta(seconds=env_int("NOTIFY_SWEEP_INTERVAL", 30)),
    },
}

# --- Notifications (govern.notify; docs/events.md §11) --------------------------------------
# Absolute links in e-mail, push and SMS ("" keeps them relative).
SITE_URL = os.environ.get("SITE_URL", "")
# E-mail: Django's SMTP backend with the EMAIL_* settings; embedded mode prints to the console.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "govern@localhost")
# Web Push: the VAPID private key (base64url raw P-256 scalar, or PEM) and the contact claim. Empty:
# push is off (the channel records "not configured"). `manage.py vapid_keys` prints a new pair.
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:admin@localhost")
NOTIFY_PUSH_TTL = env_int("NOTIFY_PUSH_TTL", 3600)
# SMS: "console" (a JSON line per message in NOTIFY_SMS_FILE and the log) or "aliyun".
NOTIFY_SMS_BACKEND = os.environ.get("NOTIFY_SMS_BACKEND", "console")
NOTIFY_SMS_FILE = os.environ.get("NOTIFY_SMS_FILE", str(VAR_DIR / "sms.log"))
NOTIFY_SMS_PER_HOUR = env_int("NOTIFY_SMS_PER_HOUR", 5)
SMS_ALIYUN_ACCESS_KEY_ID = os.environ.get("SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_ALIYUN_SIGN_NAME = os.environ.get("SMS_ALIYUN_SIGN_NAME", "")
# {"default": "SMS_123", "offer_received": "SMS_456", ...}: the approved template code per kind.
SMS_ALIYUN_TEMPLATES = json.loads(os.environ.get("SMS_ALIYUN_TEMPLATES", "{}") or "{}")
SMS_ALIYUN_ENDPOINT = os.environ.get("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com")
# The offer ladder, per hazard severity: (push after N s unseen, SMS after M s not accepted); both
# capped at half the time to the accept deadline. Env NOTIFY_OFFER_LADDER as JSON overrides it.
NOTIFY_OFFER_LADDER = json.loads(
    os.environ.get("NOTIFY_OFFER_LADDER", "")
    or '{"low": [600, 1200], "medium": [120, 600], "high": [60, 240], "critical": [20, 90]}'
)
# Reminders, once each: an offer this many seconds before its accept deadline (escalation), a coupon
# code this many hours before it expires (beat job `rewards-warn-expiring-redemptions`; 0: never).
# SMS to people without an account (an anonymous reporter's updates) wait out this local night.
NOTIFY_PHONE_QUIET_HOURS = os.environ.get("NOTIFY_PHONE_QUIET_HOURS", "22:00-07:00")
OFFER_EXPIRY_WARNING_S = env_int("OFFER_EXPIRY_WARNING_S", 120)
REDEMPTION_EXPIRY_WARNING_HOURS = env_int("REDEMPTION_EXPIRY_WARNING_HOURS", 24)

# --- Auth ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- i18n: Simplified Chinese first, English second ----------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploaded photos wait here (private, never under MEDIA_ROOT, no URL) until a Celery worker has
# re-encoded them; workers must see the same storage (a shared volume, or a private bucket via
# STORAGES["quarantine"] on object storage). The `hazards.E001` check refuses a location under
# MEDIA_ROOT or STATIC_ROOT.
PHOTO_QUARANTINE_ROOT = Path(os.environ.get("PHOTO_QUARANTINE_ROOT", VAR_DIR / "quarantine"))
# A file there that no photo row names (its request was killed between writing it and committing
# the row) is deleted by the hourly `hazards.tasks.sweep_quarantine` once this old (seconds); keep
# it well above the longest request.
PHOTO_QUARANTINE_ORPHAN_AGE = timedelta(seconds=env_int("PHOTO_QUARANTINE_ORPHAN_AGE", 3600))
# A photo whose original no worker could read from the quarantine (logged at WARNING each time)
# stays owed, sent again by the sweep every 5 minutes, until it is this old (seconds); then it
# ends `failed` ("the upload was lost").
PHOTO_UNREADABLE_GIVE_UP = timedelta(seconds=env_int("PHOTO_UNREADABLE_GIVE_UP", 86400))
# Processed photos (and coupon images): on this machine's disk under MEDIA_ROOT (one machine, or a
# shared volume), or in an S3-compatible bucket (several machines: web servers and workers write
# and read the same objects) when MEDIA_S3_BUCKET is set. Credentials come from the environment
# as boto3 reads them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from this file.
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # empty: AWS itself
if MEDIA_S3_BUCKET:
    _media_options = {
        "bucket_name": MEDIA_S3_BUCKET,
        "endpoint_url": S3_ENDPOINT_URL or None,
        "region_name": os.environ.get("S3_REGION", "") or None,
        "location": os.environ.get("MEDIA_S3_PREFIX", "").strip("/"),
        "custom_domain": os.environ.get("MEDIA_S3_CUSTOM_DOMAIN", "") or None,
        # Photos are re-encoded without metadata before they get here, and live events carry their
        # URLs (replayed for days): plain URLs on a bucket that allows anonymous reads by default;
        # MEDIA_S3_SIGNED_URLS=1 signs them instead (private bucket; URLs expire).
        "querystring_auth": env_bool("MEDIA_S3_SIGNED_URLS", False),
        "querystring_expire": env_int("MEDIA_S3_SIGNED_URL_SECONDS", 3600),
        # Like the file system: a name already taken gets a new one, nothing is overwritten.
        "file_overwrite": False,
        "default_acl": None,
        "addressing_style": os.environ.get("S3_ADDRESSING_STYLE", "path" if S3_ENDPOINT_URL else "auto"),
        "signature_version": "s3v4",
    }
    _media_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _media_options}
    if _media_options["custom_domain"]:
        MEDIA_ORIGIN = f"https://{_media_options['custom_domain'].split('/')[0]}"
    else:
        MEDIA_ORIGIN = "/".join((S3_ENDPOINT_URL or f"https://{MEDIA_S3_BUCKET}.s3.amazonaws.com").split("/")[:3])
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    MEDIA_ORIGIN = ""  # served by this site under MEDIA_URL
# The quarantine in a private bucket of the same S3 server (several machines without a shared
# volume): QUARANTINE_S3_BUCKET, never the media bucket (that one allows anonymous reads; the
# `hazards.E001` check refuses it).
QUARANTINE_S3_BUCKET = os.environ.get("QUARANTINE_S3_BUCKET", "")
if QUARANTINE_S3_BUCKET:
    _quarantine_storage = {
        "BACKEND": "govern.media.s3_quarantine.S3QuarantineStorage",
        "OPTIONS": {
            "bucket_name": QUARANTINE_S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL or None,
            "region_name": os.environ.get("S3_REGION", "") or None,
            "location": os.environ.get("QUARANTINE_S3_PREFIX", "").strip("/"),
            "querystring_auth": True,
            "file_overwrite": False,
            "default_acl": None,
            "addressing_style": os.environ.get("S3_ADDRESSING_STYLE", "path" if S3_ENDPOINT_URL else "auto"),
            "signature_version": "s3v4",
        },
    }
else:
    _quarantine_storage = {"BACKEND": "govern.media.quarantine.QuarantineStorage"}
STORAGES = {
    "default": _media_storage,
    "quarantine": _quarantine_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 12

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "govern.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "govern.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "govern.schema.GovernAutoSchema",
    "EXCEPTION_HANDLER": "govern.api_errors.exception_handler",
    # DRF's defaults, with a JSON parser that refuses lone surrogates (govern/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "govern.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("THROTTLE_LOGIN", "10/min"),
        "anon_report": os.environ.get("THROTTLE_ANON_REPORT", "10/hour"),
        "code_lookup": os.environ.get("THROTTLE_CODE_LOOKUP", "30/min"),
        "open311_post": os.environ.get("THROTTLE_OPEN311_POST", "120/min"),
        # per enterprise key: a broken sensor gateway cannot flood the duty room (issue 12)
        "sensor_alert": os.environ.get("THROTTLE_SENSOR_ALERT", "120/min"),
        # accounts created per address (the sign-up page, and applying to volunteer without one)
        "signup": os.environ.get("THROTTLE_SIGNUP", "10/hour"),
        # reports per signed-in reporter (API and form); anonymous ones are anon_report
        "user_report": os.environ.get("THROTTLE_USER_REPORT", "60/hour"),
        # mobile numbers put to the volunteer register per user (else address): each answer says
        # whether a number is free, so numbers cannot be probed in bulk
        "volunteer_phone": os.environ.get("THROTTLE_VOLUNTEER_PHONE", "10/hour"),
    },
    # Always a number (0 allowed and the default): see govern/client_address.py and deploy/README.md.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "govern API",
    "DESCRIPTION": "Community safety governance: hazards, dispatch, volunteers, points and coupons.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "govern.schema.undiscriminated_one_of_to_any_of",
    ],
    # Fields named "kind"/"status" recur across apps with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "PointsEntryKindEnum": "rewards.models.EntryKind",
        "CouponKindEnum": "rewards.models.CouponKind",
        "RedemptionStatusEnum": "rewards.models.RedemptionStatus",
        "VolunteerStatusEnum": "volunteers.models.VolunteerStatus",
        "ServiceRecordStatusEnum": "volunteers.models.ServiceRecordStatus",
        "ServiceRecordSourceEnum": "volunteers.models.ServiceRecordSource",
        "HazardStatusEnum": "hazards.models.Status",
        "HazardSourceEnum": "hazards.models.Source",
        "TaskStatusEnum": "hazards.models.TaskStatus",
        "AssigneeKindEnum": "hazards.models.AssigneeKind",
        "SeverityEnum": "hazards.models.Severity",
    },
}

# API tokens expire this long after they were issued (govern.tokens); logout and a password
# change revoke them at once.
API_TOKEN_TTL = timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 24 * 30))
# A volunteer's manual service minutes per day, all entries together (volunteers.conf).
VOLUNTEER_MANUAL_DAILY_MAX_MINUTES = env_int("VOLUNTEER_MANUAL_DAILY_MAX_MINUTES", 720)
# Approved service hours for one to five stars (volunteers.recognition); the national volunteer
# service record scale by default.
VOLUNTEER_STAR_HOURS = env_list("VOLUNTEER_STAR_HOURS", "100,300,600,1000,1500")
# Categories whose new reports sound the board's alarm whatever their severity (a gas smell is
# urgent before anyone has judged it critical); critical reports always do.
HAZARD_ALARM_CATEGORIES = env_list("HAZARD_ALARM_CATEGORIES", "gas-safety")

# --- Live events -----------------------------------------------------------------------------
LIVE_EVENT_RETENTION = timedelta(days=env_int("LIVE_EVENT_RETENTION_DAYS", 7))

# --- Maps ------------------------------------------------------------------------------------
# Tiles come from the internet; pages keep working without them (grid outlines, pins, lists).
# MAP_BASEMAP: "tianditu" (天地图, needs TIANDITU_KEY; the default when it is set), "amap" (高德,
# GCJ-02), "osm" (the fallback) or "custom" (MAP_TILE_URL in MAP_TILE_CRS). See govern/maps.py.
MAP_BASEMAP = os.environ.get("MAP_BASEMAP", "")
TIANDITU_KEY = os.environ.get("TIANDITU_KEY", "")
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")
MAP_TILE_CRS = os.environ.get("MAP_TILE_CRS", "wgs84")

# --- Security --------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "govern.error_pages.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Probes and Prometheus talk to each server process directly, over plain HTTP on the machine.
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Off only for production mode on a laptop without TLS (make run-services), never behind a proxy.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)

# --- Retention of tables that only grow (beat jobs; 0 keeps for ever) -------------------------
# Sensor readings that changed nothing (kinds normal, hold, update): the raises, clears and releases
# are the hazards' history and stay.
ALERT_HISTORY_RETENTION_DAYS = env_int("ALERT_HISTORY_RETENTION_DAYS", 90)

# --- Logs --------------------------------------------------------------------------------------
# One line per record on stderr: JSON in production (timestamp, level, logger, message, request_id,
# user_id), readable text with the same fields under debug; LOG_FORMAT=json|text chooses. Secrets
# (API tokens, ?token= in WebSocket URLs, keys) and phone numbers are redacted from every line
# (govern.logs). uvicorn's own access log is off in the deployment (--no-access-log): the
# request log middleware writes one line per request with the request id and the user.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "govern.logs.RequestContextFilter"},
        "redact": {"()": "govern.logs.RedactFilter"},
    },
    "formatters": {
        "json": {"()": "govern.logs.JsonFormatter"},
        "text": {"()": "govern.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context", "redact"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # uvicorn configures these before it imports the application; this replaces its handlers,
        # so its lines (a WebSocket's "accepted" line names the URL, ?token= included) are redacted too.
        "uvicorn": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "uvicorn.error": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # govern.access writes the access lines (with request and user ids); uvicorn's would repeat them.
        "uvicorn.access": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- Errors to Sentry, when SENTRY_DSN is set and sentry-sdk is installed (optional) -------------
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from govern.sentry import init_sentry

    init_sentry(SENTRY_DSN)

GOVERN_BRAND = _("govern · Community Safety")
