"""Delivery channels behind one interface: `send(notification, message) -> str` returns a short
provider reference; `Skip` means "this person has no address for it" (recorded, not retried);
`ProviderError` means "try again later" (recorded, retried with back-off)."""

from __future__ import annotations

from dataclasses import dataclass


class Skip(Exception):
    """Nothing to send to (no address, no subscription): recorded with its reason, not retried."""


class ProviderError(Exception):
    """The provider refused or could not be reached: recorded, retried with back-off."""


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str  # absolute when SITE_URL is set


def get(channel: str):
    from govern.notify.channels import email, push, sms

    return {"push": push.send, "email": email.send, "sms": sms.send}[channel]
