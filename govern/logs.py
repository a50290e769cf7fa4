"""Log lines an operator can search: timestamp, level, request id and user id on every line, JSON in
production (settings.LOG_FORMAT), and never a secret or a phone number.

- `RequestLogMiddleware` gives each request an id (the proxy's `X-Request-ID` when it is a sane
  token, else a new one), answers it in `X-Request-ID`, and writes one access line per request:
  method, path (query redacted), status, milliseconds, user. Celery tasks use their task id.
- `RequestContextFilter` puts `request_id` and `user_id` on every record logged while a request
  or task runs. The user is read only if something already resolved it (the session middleware's
  lazy user, or DRF's authentication): a log line never costs a query.
- `RedactFilter` and the formatters replace API tokens (`Token …`, `?token=…`, `api_key=…`),
  passwords and session ids in query strings, and mainland mobile numbers before a line is written,
  tracebacks included.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from django.utils.functional import empty
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

access_logger = logging.getLogger("govern.access")

_request = contextvars.ContextVar("govern_log_request", default=None)
_request_id = contextvars.ContextVar("govern_log_request_id", default=None)

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# key=value pairs in URLs and bodies whose values are credentials.
_SECRET_PARAMS = re.compile(
    r"(?i)(?<![\w-])(token|access_token|api_key|apikey|key|password|passwd|secret|sessionid|csrftoken|signature|"
    r"x-amz-signature|x-amz-credential)=([^&\s\"'<>\\]+)"
)
# Authorization header values: "Token 9944b09…", "Api-Key …", "Bearer …".
_AUTH_VALUES = re.compile(r"(?i)(?<![\w-])(Token|Api-Key|Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{6,}")
# Mainland mobile numbers (optionally +86), with or without separators: 138 0013 8000.
_PHONE = re.compile(r"(?<![\w.+])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![\w])")


def redact(text: str) -> str:
    if not text:
        return text
    text = _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _AUTH_VALUES.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    return _PHONE.sub("[phone]", text)


def current_request_id() -> str | None:
    return _request_id.get()


def _user_id(request) -> int | None:
    if request is None:
        return None
    user = request.__dict__.get("user")
    if user is None:
        return None
    user = getattr(user, "_wrapped", user)  # a SimpleLazyObject: only when already evaluated
    if user is empty:
        return None
    return getattr(user, "pk", None)


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs a failed request after the middleware has returned, naming the request.
        request = getattr(record, "request", None) or _request.get()
        if not hasattr(record, "request_id"):
            record.request_id = getattr(request, "request_id", None) or _request_id.get()
        if not hasattr(record, "user_id"):
            record.user_id = _user_id(request)
        return True


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's own error to report
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return True


class JsonFormatter(_BaseJsonFormatter):
    """{"timestamp", "level", "logger", "message", "request_id", "user_id", …extra, "exc_info"}."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        # Left out: uvicorn's ANSI copy of the message, and django.request's request object (its repr
        # is the full URL; the request id stands for it).
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "color_message", "request"])
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__("%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s", *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))  # extras and tracebacks too


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s user=%(user_id)s] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        for name in ("request_id", "user_id"):
            if not hasattr(record, name):
                setattr(record, name, None)
        return redact(super().format(record))


def _incoming_request_id(request) -> str:
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if REQUEST_ID_RE.match(given) else uuid.uuid4().hex


class RequestLogMiddleware:
    """Outermost govern middleware: the request id for the request's log lines, and its access line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = _incoming_request_id(request)
        request.request_id = request_id
        id_token, request_token = _request_id.set(request_id), _request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if not request.path.startswith(("/health/", "/metrics")):  # probes every few seconds
                access_logger.info(
                    "%s %s %s",
                    request.method,
                    request.get_full_path(),
                    response.status_code,
                    extra={
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "method": request.method,
                    },
                )
            return response
        finally:
            _request_id.reset(id_token)
            _request.reset(request_token)


def bind_task(task_id: str | None):
    """Celery: the task id stands in for the request id while a task runs (govern.celery)."""
    return _request_id.set(task_id)


def unbind(token) -> None:
    try:
        _request_id.reset(token)
    except ValueError:  # set in another context (a task that ran in a thread): nothing to undo
        _request_id.set(None)
