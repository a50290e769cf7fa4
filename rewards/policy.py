"""Who may do what in the rewards app, answered the same for every entry point."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from govern.errors import PermissionDenied
from govern.models import User
from govern.roles import is_dispatcher
from rewards.models import Merchant


def check_adjuster(actor: User | None, user_ids: Iterable[int]) -> None:
    """Adjustments and reversals are made by a dispatcher (or by the system when actor is None),
    never on the dispatcher's own account."""
    if actor is None:
        return
    if not is_dispatcher(actor):
        raise PermissionDenied(_("Only a dispatcher can adjust points."))
    if actor.pk in {int(u) for u in user_ids}:
        raise PermissionDenied(_("You cannot adjust your own points."), field="user")


def check_dispatcher(actor: User) -> None:
    if not is_dispatcher(actor):
        raise PermissionDenied(_("Only a dispatcher can do this."))


def check_merchant_staff(actor: User, merchant_id: int | None) -> None:
    """Offers and statements of a merchant are its own staff's (Merchant.staff, active merchant)."""
    if merchant_id is None or int(merchant_id) not in staff_merchant_ids(actor):
        raise PermissionDenied(_("You are not staff of this merchant."), field="merchant")


def may_see_statement(actor: User, merchant_id: int) -> bool:
    """A merchant's monthly statement: its staff, and dispatchers (they settle with merchants)."""
    return is_dispatcher(actor) or int(merchant_id) in staff_merchant_ids(actor)


def staff_merchant_ids(user: User) -> set[int]:
    """The active merchants whose codes this user may check (Merchant.staff, not the role)."""
    return set(Merchant.objects.filter(staff__pk=user.pk, active=True).values_list("id", flat=True))


def may_cancel_redemption(actor: User, *, owner_id: int) -> bool:
    """The code's owner gives it back, or a dispatcher does it for them."""
    return owner_id == actor.pk or is_dispatcher(actor)
