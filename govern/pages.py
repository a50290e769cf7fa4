"""Server-rendered pages: the one place a DomainError becomes a page's answer, and page access.

Services raise DomainError (govern.errors): a sentence, the field it concerns, an HTTP status.
The API answers with govern.api_errors.exception_handler; pages answer here, in one of three ways:

- The error leaves the view: `DomainErrorMiddleware` (in MIDDLEWARE, so it covers every page)
  answers with Django's 404 page (NotFound), its 403 page (PermissionDenied), or the error page
  with the sentence and the error's status (400, 409, 422). No page answers a domain error with 500.
- The page keeps the user on it, the sentence next to what caused it: inside
  `with page_errors(form=form) as failed:` an error lands on the form field it names (`fields`
  maps a service's field names to the form's) or on the form as a whole, and is swallowed; the
  view then renders the form again (with `failed.status_code`, or its own). Without a form the
  view reads `failed.error` / `failed.as_dict()` into its own context.
- The page posts and redirects back (POST-redirect-GET): `with flash_errors(request):` makes the
  sentence an error message on the page the view redirects to.

Admin actions and management commands report their own errors (per row, per line).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from govern.errors import DomainError
from govern.roles import is_dispatcher


class PageError:
    """What went wrong inside a `page_errors` block: falsy when nothing did."""

    def __init__(self) -> None:
        self.error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        return str(self.error.message) if self.error is not None else ""

    @property
    def field(self) -> str | None:
        return self.error.field if self.error is not None else None

    @property
    def status_code(self) -> int:
        return self.error.status_code if self.error is not None else 200

    def as_dict(self) -> dict | None:
        """{"field", "message"} for a template, or None."""
        return {"field": self.field, "message": self.message} if self.error is not None else None


@contextmanager
def page_errors(*, form=None, fields: Mapping[str, str] | None = None) -> Iterator[PageError]:
    """Catch the DomainError of the block (see the module docstring); put it on `form` if given."""
    failed = PageError()
    try:
        yield failed
    except DomainError as exc:
        failed.error = exc
        if form is not None:
            name = (fields or {}).get(exc.field, exc.field)
            form.add_error(name if name in form.fields else None, str(exc.message))


@contextmanager
def flash_errors(request) -> Iterator[PageError]:
    """Catch the DomainError of the block as an error message for the next page."""
    with page_errors() as failed:
        yield failed
    if failed:
        messages.error(request, failed.message)


class DomainErrorMiddleware:
    """A DomainError a page view lets out: 404 and 403 as Django's own pages, the rest as the
    error page with the sentence and the error's status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        if exception.status_code == 404:
            raise Http404(str(exception.message)) from exception
        if exception.status_code == 403:
            raise DjangoPermissionDenied(str(exception.message)) from exception
        return render(request, "govern/error.html", {"message": str(exception.message)}, status=exception.status_code)


def dispatcher_required(view):
    """A page for dispatchers: anonymous → the login page; signed in without the role → 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_dispatcher(request.user):
            raise DjangoPermissionDenied(_("Only dispatchers can see the back office."))
        return view(request, *args, **kwargs)

    return wrapper


def throttled_form(request, template: str, context: dict, *, form, wait: float):
    """The form page again with a sentence saying when to retry: 429 with Retry-After."""
    form.add_error(
        None,
        _("Too many attempts from this device; please try again in %(minutes)d minutes.")
        % {"minutes": max(1, math.ceil(wait / 60))},
    )
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response
