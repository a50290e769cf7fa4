"""The services stack for benchmarks: PostgreSQL, Redis, real ASGI server processes, a Celery worker.

Everything runs on this machine (loopback only). The bench database is created fresh each run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB_NAME", "govern_bench")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "govern.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "govern-bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "GOVERN_BENCH_ENDPOINTS": "1",
            "GOVERN_VAR_DIR": str(ROOT / "bench" / "out" / "var"),
            "MEDIA_ROOT": str(ROOT / "bench" / "out" / "media"),
            "STATIC_ROOT": str(ROOT / "bench" / "out" / "static"),
            # Persistent connections are per thread under ASGI (a new thread per request): with 2
            # servers and 200 clients they exhaust max_connections. A bounded pool per process
            # instead (psycopg_pool), as a deployment would run: a new PostgreSQL backend per
            # request cost more CPU than the rest of a short request.
            "DB_CONN_MAX_AGE": "0",
            "DB_POOL_MAX_SIZE": os.environ.get("BENCH_DB_POOL_MAX_SIZE", "10"),
            # Benchmarks measure throughput, not abuse protection.
            "THROTTLE_ANON_REPORT": "1000000/min",
            "THROTTLE_LOGIN": "1000000/min",
            "THROTTLE_CODE_LOOKUP": "1000000/min",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def reset_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def manage(*args: str, quiet: bool = True) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=bench_env(),
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def setup_django() -> None:
    """Configure Django in this process against the bench stack (for direct service/selector timing)."""
    os.environ.update(bench_env())
    import django

    django.setup()


class Server:
    """One ASGI server process (uvicorn, one worker) on its own port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "govern.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                # As deploy/Procfile runs them (the README's stack).
                "--no-access-log",
                "--ws",
                "websockets-sansio",
                "--lifespan",
                "off",
                "--timeout-keep-alive",
                "75",
            ],
            cwd=ROOT,
            env=bench_env(),
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urlopen(self.url + "/api/v1/categories/", timeout=2):
                    return self
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"ASGI server on {self.port} exited with {self.proc.returncode}")
                time.sleep(0.2)
        raise RuntimeError(f"ASGI server on {self.port} did not answer in 60 s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


# The Celery worker runs at a lower CPU priority than the ASGI servers. On this 2-core machine it
# shares cores with them; in production it runs on its own capacity, or niced like this, so the
# re-encoding of a burst's photos never delays the requests and live events being measured. What
# it costs is reported separately (intake: all photos processed after the burst).
WORKER_NICE = int(os.environ.get("BENCH_WORKER_NICE", "10"))


class Worker:
    """A Celery worker process (solo pool: one core's worth, like a small production worker)."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "govern",
                "worker",
                "--pool=solo",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=bench_env(),
            start_new_session=True,
            preexec_fn=lambda: os.nice(WORKER_NICE),
        )
        time.sleep(2)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
