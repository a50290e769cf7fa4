"""A URLconf for tests/govern/test_page_errors.py: the site's, plus a page view that lets a
domain error out (no real page does any more: they keep the user on the page)."""

from django.urls import path

from govern import urls
from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unprocessable

ERRORS = {
    "not_found": NotFound("No such thing."),
    "denied": PermissionDenied("Not yours."),
    "invalid": InvalidInput("The date is in the future.", field="date"),
    "conflict": Conflict("This was settled already."),
    "unprocessable": Unprocessable("Not enough points."),
}


def failing_page(request, kind: str):
    raise ERRORS[kind]


urlpatterns = [path("page/<str:kind>/", failing_page), *urls.urlpatterns]
handler404 = urls.handler404
