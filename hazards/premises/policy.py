"""Who may manage the premises register."""

from __future__ import annotations

from govern.roles import is_dispatcher


def can_manage(user) -> bool:
    """Dispatchers (and superusers) edit and import the register; so do staff granted the model permission."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_dispatcher(user) or (user.is_staff and user.has_perm("premises.change_premises"))
