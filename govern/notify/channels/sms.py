"""SMS behind a backend interface (NOTIFY_SMS_BACKEND): `console` (embedded mode: one JSON line per
message in NOTIFY_SMS_FILE and the log) or `aliyun` (Alibaba Cloud SMS, SendSms, RPC signature
v1: HMAC-SHA1 over the sorted, RFC 3986-encoded query; credentials and template codes from the
environment). The SMS text itself is the provider's approved template; we pass its parameters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.notify.channels import Message, ProviderError, Skip

logger = logging.getLogger(__name__)


def _encode(value: str) -> str:
    """RFC 3986: unreserved characters stay, everything else %XY (space is %20, not +)."""
    return quote(str(value), safe="-_.~")


def aliyun_signature(secret: str, params: dict[str, str], method: str = "GET") -> str:
    """The `Signature` of an Aliyun RPC request (before URL-encoding it into the query)."""
    canonical = "&".join(f"{_encode(k)}={_encode(params[k])}" for k in sorted(params))
    string_to_sign = f"{method}&{_encode('/')}&{_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_signed_query(secret: str, params: dict[str, str]) -> str:
    signature = aliyun_signature(secret, params)
    return "Signature=" + _encode(signature) + "".join(f"&{_encode(k)}={_encode(params[k])}" for k in sorted(params))


class ConsoleBackend:
    """Embedded mode and development: nothing leaves the machine."""

    def send(self, *, phone: str, kind: str, params: dict, text: str) -> str:
        line = {"at": timezone.now().isoformat(), "phone": phone, "kind": kind, "params": params, "text": text}
        path = getattr(settings, "NOTIFY_SMS_FILE", "")
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        logger.info("sms (console backend) to %s: %s", phone, text)
        return "console"


class AliyunBackend:
    def __init__(self):
        self.key_id = settings.SMS_ALIYUN_ACCESS_KEY_ID
        self.secret = settings.SMS_ALIYUN_ACCESS_KEY_SECRET
        self.sign_name = settings.SMS_ALIYUN_SIGN_NAME
        self.templates = settings.SMS_ALIYUN_TEMPLATES  # {kind: template code}
        self.endpoint = settings.SMS_ALIYUN_ENDPOINT

    def params(self, *, phone: str, template: str, template_params: dict, nonce: str, timestamp: str) -> dict:
        return {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(template_params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": timestamp,
            "Version": "2017-05-25",
        }

    def send(self, *, phone: str, kind: str, params: dict, text: str) -> str:
        import requests

        template = self.templates.get(kind) or self.templates.get("default")
        if not template:
            raise Skip(_("no SMS template for this kind"))
        query = aliyun_signed_query(
            self.secret,
            self.params(
                phone=phone,
                template=template,
                template_params=params,
                nonce=uuid.uuid4().hex,
                timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )
        try:
            response = requests.get(f"{self.endpoint.rstrip('/')}/?{query}", timeout=10)
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderError(f"aliyun: {exc}") from exc
        if answer.get("Code") != "OK":
            raise ProviderError(f"aliyun {answer.get('Code')}: {answer.get('Message')}"[:300])
        return str(answer.get("BizId") or "ok")


def backend():
    name = getattr(settings, "NOTIFY_SMS_BACKEND", "console")
    return AliyunBackend() if name == "aliyun" else ConsoleBackend()


def send(notification, message: Message) -> str:
    phone = (notification.phone or (notification.user.phone if notification.user_id else "") or "").strip()
    if not phone:
        raise Skip(_("no mobile number"))
    params = {"title": message.title[:20], "ref": notification.ref[:20]}
    return backend().send(phone=phone, kind=notification.kind, params=params, text=f"{message.title} {message.url}")
