"""Error pages in the product's layout and language: the CSRF failure and the server error.

403 and 404 use Django's own handlers, which render templates/403.html and templates/404.html
with the request (so the menu and the language come along); govern.api_errors keeps /api/ and
/open311/ answering in their own formats. These two need views of their own: Django renders its
CSRF page and its 500 page without the request.
"""

from __future__ import annotations

import logging

from django.http import HttpResponseForbidden, HttpResponseServerError
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: say the form expired and lead back to it (the referring page of this site)."""
    referer = request.META.get("HTTP_REFERER", "")
    back = referer if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else ""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        body = {"detail": _("CSRF check failed: reload the page and try again."), "code": "csrf_failed"}
        return JsonResponse(body, status=403)
    html = loader.render_to_string("403_csrf.html", {"reason": reason, "back_url": back}, request=request)
    return HttpResponseForbidden(html)


@requires_csrf_token
def server_error(request):
    """handler500: the layout with the request when it can still be drawn, else the bare template.

    Drawing the menu needs the database, which may be what failed: then the page comes without it.
    Under /api/ the answer is JSON like every other API error (a client parses it; an HTML page
    there read as "the server is broken" to every API client, and as a lost report)."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        body = {"detail": _("Something went wrong on our side; please try again."), "code": "server_error"}
        return JsonResponse(body, status=500)
    try:
        html = loader.render_to_string("500.html", request=request)
    except Exception:
        logger.exception("the 500 page could not be drawn with the request; falling back")
        html = loader.render_to_string("500.html")
    return HttpResponseServerError(html)
