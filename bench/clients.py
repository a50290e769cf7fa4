"""HTTP and WebSocket helpers for benchmarks (plain requests and websockets; loopback only)."""

from __future__ import annotations

import requests

DEMO_PASSWORD = "govern-demo"


def token(base_url: str, username: str, password: str = DEMO_PASSWORD) -> str:
    response = requests.post(
        f"{base_url}/api/v1/auth/token/", json={"username": username, "password": password}, timeout=30
    )
    response.raise_for_status()
    return response.json()["token"]


def ws_url(base_url: str, query: str) -> str:
    return base_url.replace("http://", "ws://") + "/ws/live/?" + query


def report_fields(category: str = "fire-passage", latitude: float = 30.905, longitude: float = 120.805) -> dict:
    return {
        "category": category,
        "description": "楼道里堆满纸箱，堵住了消防通道 (benchmark report)",
        "latitude": f"{latitude:.6f}",
        "longitude": f"{longitude:.6f}",
        "address": "汾湖镇 黎里 测试路 1 号",
    }
