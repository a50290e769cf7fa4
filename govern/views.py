"""Kernel pages: home (the three faces), resident sign-up."""

from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from govern.forms import SignupForm
from govern.services import user_register


def home(request):
    return render(request, "govern/home.html")


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
