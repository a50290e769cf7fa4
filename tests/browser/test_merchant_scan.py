"""A merchant's staff scan the customer's QR code with the camera in a browser that has no
BarcodeDetector (as on an iPhone): the page reads the camera frames with the vendored jsQR and
accepts the code. The camera is Chromium's fake capture device playing a Y4M file whose frames show
the QR code the wallet would show; nothing stands in for the decoder."""

from __future__ import annotations

import uuid

import pytest
import segno
from playwright.sync_api import expect
from rest_framework.test import APIClient

from govern.roles import MERCHANT_STAFF, RESIDENT
from rewards.models import Redemption
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, in_thread, login
from tests.factories import UserFactory
from tests.rewards.conftest import ensure_reference_data, fund, make_coupon, make_merchant

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480


def qr_y4m(text: str, path, frames: int = 5) -> None:
    """A grey Y4M video (4:2:0) of the QR code of `text` on a white card, what a phone camera
    pointed at the customer's screen sees (centred, a quiet zone around it)."""
    matrix = [list(row) for row in segno.make_qr(text, error="m").matrix_iter(scale=1, border=4)]
    scale = min(WIDTH, HEIGHT) * 3 // 4 // len(matrix)
    size = len(matrix) * scale
    left, top = (WIDTH - size) // 2, (HEIGHT - size) // 2
    luma = bytearray(b"\xeb" * (WIDTH * HEIGHT))  # video white (235)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + y * scale + dy) * WIDTH + left + x * scale
                    luma[start : start + scale] = b"\x10" * scale  # video black (16)
    chroma = b"\x80" * (WIDTH // 2 * HEIGHT // 2)
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


def _setup():
    ensure_reference_data()
    customer = UserFactory(roles=[RESIDENT])
    staff = UserFactory(roles=[MERCHANT_STAFF])
    merchant = make_merchant(staff=[staff], name="汾湖小厨（扫码测试）")
    coupon = make_coupon(merchant, title="扫码代金券", cost=50)
    fund(customer, 100)
    client = APIClient()
    client.force_authenticate(customer)
    response = client.post(f"/api/v1/coupons/{coupon.pk}/redeem/", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    return staff, Redemption.objects.get(pk=response.json()["id"])


def test_a_merchant_scans_a_qr_code_without_barcode_detector(asgi_live_server, browser, tmp_path):
    staff, redemption = in_thread(_setup)
    video = tmp_path / "qr.y4m"
    qr_y4m(redemption.code, video)
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
        )
        context.grant_permissions(["camera"], origin=asgi_live_server.url)
        context.add_init_script("delete window.BarcodeDetector;")  # as on an iPhone's Safari
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        login(page, asgi_live_server.url, staff.username, "pw-govern-test")
        page.goto(asgi_live_server.url + "/merchant/")
        assert page.evaluate("'BarcodeDetector' in window") is False
        page.click("#scan-button")
        expect(page.locator("#use-result.ok")).to_contain_text("扫码代金券", timeout=30_000)
        assert page.locator("#scanner").get_attribute("data-reader") == "jsqr"
        assert page.locator("#scanner").is_hidden()  # the camera is off again
        assert Redemption.objects.get(pk=redemption.pk).status == "used"
        assert errors == []
        context.close()
    finally:
        camera_browser.close()
