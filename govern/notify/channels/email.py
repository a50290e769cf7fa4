"""E-mail through Django's mail framework (SMTP settings from the environment: EMAIL_*)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from govern.notify.channels import Message, ProviderError, Skip


def send(notification, message: Message) -> str:
    address = (notification.user.email or "").strip()
    if not address:
        raise Skip(_("no e-mail address"))
    body = f"{message.body}\n\n{message.url}\n".lstrip()
    mail = EmailMessage(
        subject=message.title,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"X-Govern-Notification": str(notification.pk)},
    )
    try:
        mail.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise ProviderError(f"smtp: {exc}") from exc
    return address
