"""Roles are Django groups. These helpers answer "may this user ...?" with one cached query."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

RESIDENT = "resident"
VOLUNTEER = "volunteer"
GRID_WORKER = "grid_worker"
DISPATCHER = "dispatcher"
MERCHANT_STAFF = "merchant_staff"

ALL_ROLES = (RESIDENT, VOLUNTEER, GRID_WORKER, DISPATCHER, MERCHANT_STAFF)
ROLE_LABELS = {
    RESIDENT: _("resident"),
    VOLUNTEER: _("volunteer"),
    GRID_WORKER: _("grid worker"),
    DISPATCHER: _("dispatcher"),
    MERCHANT_STAFF: _("merchant staff"),
}


def user_roles(user) -> frozenset[str]:
    """The user's role names, cached on the instance. A superuser also counts as a dispatcher."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_govern_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names.add(DISPATCHER)
        cached = frozenset(names)
        user._govern_roles = cached
    return cached


def has_role(user, role: str) -> bool:
    return role in user_roles(user)


def is_dispatcher(user) -> bool:
    return has_role(user, DISPATCHER)


def is_grid_worker(user) -> bool:
    return has_role(user, GRID_WORKER)


def forget_roles(user) -> None:
    """Drop the cached roles after changing the user's groups."""
    if hasattr(user, "_govern_roles"):
        del user._govern_roles
