"""Kernel pages: resident sign-up and the throttled login (the home page is govern.home)."""

import math

from django.contrib import admin
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from govern.forms import SignupForm
from govern.pages import throttled_form
from govern.services import user_register
from govern.throttles import FailedLoginThrottle, scope_wait


def safe_next(request) -> str:
    """`next` only when it stays on this site (same host, and https when the request is): an
    absolute or scheme-relative URL elsewhere would make sign-up an open redirect (issue 21)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else "/"


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        # Every attempt counts, refused ones too: a refusal says whether a username is taken.
        wait = scope_wait("signup", request, by_address=True)
        if wait is not None:
            return throttled_form(request, "registration/signup.html", {"form": form}, form=form, wait=wait)
    if request.method == "POST" and form.is_valid():
        user = user_register(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            phone=form.cleaned_data["phone"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(safe_next(request))
    return render(request, "registration/signup.html", {"form": form})


def _throttled_login_page(request, throttle, form) -> HttpResponse:
    wait = math.ceil(throttle.wait() or 1)
    response = render(
        request,
        "registration/login.html",
        {"form": form, "throttled": _("Too many failed attempts. Try again in %(s)d seconds.") % {"s": wait}},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


class ThrottledLoginView(LoginView):
    """The login page, with the same failed-attempt throttle as the token API and the admin."""

    def post(self, request, *args, **kwargs):
        throttle = FailedLoginThrottle()
        if not throttle.allow_request(request):
            return _throttled_login_page(request, throttle, self.get_form_class()(request))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        FailedLoginThrottle().record_failure(self.request)
        return super().form_invalid(form)


def admin_login(request, extra_context=None):
    """/admin/login/ behind the same failed-login counter as the site login and the token API, so
    the superuser's password cannot be guessed there without limit (issue 21). Django's admin
    answers a wrong password with its form again (200) and a right one with a redirect."""
    if request.method == "POST":
        throttle = FailedLoginThrottle()
        if not throttle.allow_request(request):
            return _throttled_login_page(request, throttle, ThrottledLoginView.form_class(request))
        response = admin.site.login(request, extra_context)
        if response.status_code == 200:
            FailedLoginThrottle().record_failure(request)
        return response
    return admin.site.login(request, extra_context)
