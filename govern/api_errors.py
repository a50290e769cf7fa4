"""DRF exception handler: every error is JSON with a human sentence in `detail`.

Validation errors keep DRF's per-field messages under `errors` and name the first field and
reason in `detail`, so a client can show one sentence and still highlight fields.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.views.defaults import page_not_found as html_page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from govern.db_retry import conflict_sqlstate
from govern.errors import DomainError


def _first_message(errors, prefix: str = "") -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            label = key if key != "non_field_errors" else ""
            name = f"{prefix}.{label}" if prefix and label else (label or prefix)
            return _first_message(value, name)
    if isinstance(errors, list) and errors:
        return _first_message(errors[0], prefix)
    text = str(errors)
    return f"{prefix}: {text}" if prefix else text


def _messages(errors, path: str = "") -> list[str]:
    """Every sentence under a (possibly nested) error, prefixed with where it sits ("0.skill: …")."""
    if isinstance(errors, dict):
        out = []
        for key, value in errors.items():
            label = "" if key == "non_field_errors" else str(key)
            out += _messages(value, f"{path}.{label}" if path and label else (label or path))
        return out
    if isinstance(errors, list):
        out = []
        for index, item in enumerate(errors):
            if isinstance(item, dict | list):
                if item:  # DRF leaves {} for the list items that were fine
                    out += _messages(item, f"{path}.{index}" if path else str(index))
            else:
                out.append(f"{path}: {item}" if path else str(item))
        return out
    return [f"{path}: {errors}" if path else str(errors)]


def _flatten(errors) -> dict[str, list[str]]:
    """{field: [sentences]}, the shape the schema documents: a nested serializer's errors stay under
    their top-level field, each sentence saying where inside it sits (was {"0": {...}}, found by
    schemathesis)."""
    if not isinstance(errors, dict):
        return {"non_field_errors": _messages(errors)}
    return {str(field): _messages(value) for field, value in errors.items()}


def _over_limit(exc) -> str:
    if isinstance(exc, TooManyFieldsSent):
        return gettext("The request has too many fields (at most %(max)d).") % {
            "max": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(exc, TooManyFilesSent):
        return gettext("The request has too many files (at most %(max)d).") % {
            "max": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    return gettext("The request body is too large (at most %(max)d bytes).") % {
        "max": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    }


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            body["errors"] = {exc.field: [str(exc.message)]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(errors)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent | RequestDataTooBig):
        # Django's limits, met while a parser read the body: Django would answer its HTML 400
        # page (schemathesis sent a form with more than a thousand fields).
        exc = exceptions.ParseError(_over_limit(exc))

    if conflict_sqlstate(exc) is not None:
        # Still a deadlock or a serialization failure after govern.db_retry's attempts: nothing
        # was written and the same request will very likely succeed, so say so (not a 500).
        body = {"detail": gettext("The server is busy; please send this again."), "code": "busy"}
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "1"})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"detail": _first_message(errors), "code": "invalid", "errors": _flatten(errors)}
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", "error")}
    return response


def page_not_found(request, exception=None):
    """An unmatched URL under /api/ answers JSON like every other API error, not HTML; anything
    else gets Django's 404 page. (govern.urls.page_not_found, the handler404, calls it.)

    (Schemathesis sent /api/v1/hazards/-1/triage/: `<int:pk>` refuses the sign, so no view ran.)
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found."), "code": "not_found"}, status=404)
    return html_page_not_found(request, exception)
