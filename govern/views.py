"""Kernel pages: resident sign-up and the throttled login (the home page is govern.home)."""

import math

from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from govern.forms import SignupForm
from govern.services import user_register
from govern.throttles import FailedLoginThrottle


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_register(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            phone=form.cleaned_data["phone"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(request.GET.get("next") or "/")
    return render(request, "registration/signup.html", {"form": form})


class ThrottledLoginView(LoginView):
    """The login page, with the same failed-attempt throttle as the token API."""

    def post(self, request, *args, **kwargs):
        throttle = FailedLoginThrottle()
        if not throttle.allow_request(request):
            wait = math.ceil(throttle.wait() or 1)
            response = render(
                request,
                "registration/login.html",
                {
                    "form": self.get_form_class()(request),
                    "throttled": _("Too many failed attempts. Try again in %(s)d seconds.") % {"s": wait},
                },
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        FailedLoginThrottle().record_failure(self.request)
        return super().form_invalid(form)
