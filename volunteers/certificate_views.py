"""Certificates of service hours: issue one from my volunteer page, print it, and the public
check of its verification code (/verify/certificate/<code>/), throttled like tracking lookups."""

from __future__ import annotations

import segno
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from govern.client_address import ClientAddressIdent
from govern.pages import flash_errors
from volunteers import recognition, selectors

LOOKUP_SCOPE = "code_lookup"  # the tracking codes' scope: guessing either kind of code is as slow


class _CertificateLookupThrottle(ClientAddressIdent, ScopedRateThrottle):
    @property
    def THROTTLE_RATES(self):  # noqa: N802 - DRF's name; read live so settings overrides apply
        return api_settings.DEFAULT_THROTTLE_RATES


class _Scope:
    throttle_scope = LOOKUP_SCOPE


@login_required
@require_POST
def certificate_issue(request):
    volunteer = selectors.volunteer_for_user_id(request.user.pk)
    if volunteer is None:
        return redirect("volunteers:apply")
    with flash_errors(request) as failed:
        certificate = recognition.certificate_issue(actor=request.user, volunteer_id=volunteer.pk)
    if failed:
        return redirect("volunteers:me")
    return redirect("volunteers:certificate", code=certificate.code)


@login_required
def certificate(request, code: str):
    """The printable certificate (its volunteer's, or a dispatcher's view of any)."""
    certificate = recognition.certificate_for_owner(viewer=request.user, code=code)  # NotFound: 404 page
    verify_url = request.build_absolute_uri(f"/verify/certificate/{certificate.code}/")
    context = {
        "certificate": certificate,
        "star_label": recognition.star_label(certificate.stars),
        "verify_url": verify_url,
        "qr": segno.make(verify_url, error="m", micro=False).svg_data_uri(scale=4, border=2),
    }
    return render(request, "volunteers/certificate.html", context)


def _checked(request, code: str, *, status_if_missing: int = 404):
    throttle = _CertificateLookupThrottle()
    if not throttle.allow_request(request, _Scope()):
        wait = throttle.wait()
        context = {"code": code[:32], "error": str(Throttled(wait=wait).detail)}
        response = render(request, "volunteers/verify_certificate.html", context, status=429)
        if wait is not None:
            response["Retry-After"] = str(int(wait) + 1)
        return response
    found = recognition.certificate_check(code)
    if found is None:
        context = {
            "code": code[:32],
            "error": _("No certificate has the verification code %(code)s. Check it against the paper and try again.")
            % {"code": code[:32]},
        }
        return render(request, "volunteers/verify_certificate.html", context, status=status_if_missing)
    context = {
        "found": found,
        "masked_name": recognition.mask_name(found.real_name),
        "star_label": recognition.star_label(found.stars),
    }
    return render(request, "volunteers/verify_certificate.html", context)


def verify_lookup(request):
    """The check form; `?code=` goes to the check of that code (dashes and spaces dropped)."""
    code = request.GET.get("code", "").strip()
    if not code:
        return render(request, "volunteers/verify_certificate.html", {})
    normalised = recognition.normalise_code(code)
    if not normalised:
        return _checked(request, code)
    return redirect("volunteers:verify-certificate", code=normalised)


def verify(request, code: str):
    return _checked(request, code)
