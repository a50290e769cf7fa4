"""Revoke a user's API tokens when they log out of the site or their password changes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from govern.tokens import revoke_tokens


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None and user.pk is not None:
        revoke_tokens(user_id=user.pk)


@receiver(pre_save, sender=get_user_model())
def _note_password_change(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    before = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._govern_password_changed = before is not None and before != instance.password


@receiver(post_save, sender=get_user_model())
def _password_changed(sender, instance, created=False, raw=False, **kwargs):
    if not raw and getattr(instance, "_govern_password_changed", False):
        instance._govern_password_changed = False
        revoke_tokens(user_id=instance.pk)
