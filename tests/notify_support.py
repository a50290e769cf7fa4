"""Real receivers for the notification tests: an SMTP server (aiosmtpd) and a Web Push endpoint
that decrypts what it receives (RFC 8291) and checks the VAPID header (RFC 8292)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """call(fn, *args) → fn's result, with the on-commit hooks it registered run (as a commit would)."""

    def call(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free local port; Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield received
    finally:
        controller.stop()


@pytest.fixture
def vapid(settings):
    """A VAPID key pair for the server (the private key as the environment would give it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_SUBJECT = "mailto:duty@example.org"
    settings.NOTIFY_PUSH_ALLOW_HTTP = True
    return key


class PushReceiver:
    """What a browser vendor's push service does for one subscription, minus the forwarding: takes
    the POST, checks the VAPID JWT against the key in the header, decrypts the payload with the
    subscription's private key and auth secret."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.received: list[dict] = []
        self.status = 201
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    receiver.received.append(receiver.open(self.headers, body, self.path))
                except Exception as exc:  # recorded: the test asserts there were no errors
                    import traceback

                    receiver.received.append({"error": repr(exc), "trace": traceback.format_exc()[-600:]})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/push/abc"

    def subscription(self) -> dict:
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": b64url(public_point(self.key)), "auth": b64url(self.auth)},
        }

    def open(self, headers, body: bytes, path: str) -> dict:  # headers: case-insensitive
        import http_ece

        auth = headers.get("Authorization") or ""
        assert auth.startswith("vapid "), auth
        parts = dict(p.strip().split("=", 1) for p in auth[len("vapid ") :].split(","))
        token, server_key = parts["t"], unb64url(parts["k"])
        head, claims, signature = token.split(".")
        raw = unb64url(signature)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), server_key)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
        claims = json.loads(unb64url(claims))
        assert json.loads(unb64url(head))["alg"] == "ES256"
        assert claims["aud"] == self.endpoint.rsplit("/push", 1)[0] and claims["exp"] > time.time()
        assert headers.get("Content-Encoding") == "aes128gcm"
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        return {
            "path": path,
            "ttl": headers.get("TTL"),
            "claims": claims,
            "server_key": server_key,
            "data": json.loads(plain),
        }

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_receiver():
    receiver = PushReceiver()
    try:
        yield receiver
    finally:
        receiver.close()
