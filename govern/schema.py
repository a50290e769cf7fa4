"""The OpenAPI schema class: documents the errors DRF raises on its own, for every endpoint.

Schemathesis (tests/security/test_schemathesis.py) found these undocumented: a paginated list
answers 404 for a page past the end, a filtered list 400 for a bad filter value, an endpoint that
needs a login 401 for an anonymous client, a throttled one 429, any body-taking one 415 for a body it cannot parse. Views document their own domain
errors with extend_schema; this class adds the framework's, derived from the view itself (its
permissions, paginator, filters, throttles), so an endpoint added later is truthful without effort.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

_DESCRIPTIONS = {
    "400": "Invalid input (a query parameter or filter value); `errors` names the field",
    "401": "Not logged in (send `Authorization: Token …` or a session cookie)",
    "404": "Not found: a page past the end, or the object the list belongs to",
    "415": "Unsupported or malformed request media type (send JSON or a form)",
    "429": "Too many requests; see Retry-After",
}


class GovernAutoSchema(AutoSchema):
    def _anonymous_refused(self) -> bool:
        view = self.view
        request = Request(APIRequestFactory().generic(self.method, self.path))
        request.user = AnonymousUser()
        saved = getattr(view, "request", None)
        view.request = request
        try:
            return any(not permission.has_permission(request, view) for permission in view.get_permissions())
        except Exception:  # a permission that needs more context than the schema has: assume login
            return True
        finally:
            view.request = saved

    def _throttled(self) -> bool:
        view = self.view
        saved = getattr(view, "request", None)
        view.request = Request(APIRequestFactory().generic(self.method, self.path))
        try:
            return bool(view.get_throttles())
        finally:
            view.request = saved

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        from govern.api import ErrorSerializer  # the API module imports settings-level things late

        wanted = []
        listing = self.method == "GET" and self._is_list_view()
        if listing and self.get_filter_backends():
            wanted.append("400")
        if self._anonymous_refused():
            wanted.append("401")
        if listing and self._get_paginator() is not None:
            wanted.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            wanted.append("415")
        if self._throttled():
            wanted.append("429")
        for code in wanted:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]), code, direction=direction
                )
        return dict(sorted(responses.items()))


def undiscriminated_one_of_to_any_of(result, generator, request, public):
    """A oneOf without a discriminator claims the shapes exclude each other; ours overlap (a
    teammate's view of a volunteer is a subset of the owner's), so a valid body matched "more
    than one" and broke the schema. anyOf says what is true: the body has one of these shapes."""

    def walk(node):
        if isinstance(node, dict):
            if "oneOf" in node and "discriminator" not in node:
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
