"""celery beat runs once: the second `celery beat` (a standby, or one started by mistake on another
machine) waits on the Redis lock (celery-redbeat) and takes over only when the first is gone, even
when the first dies without releasing it (kill -9: the lock expires, 5 x the loop interval)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.deploy.stack import Group, clean_env, redis_url

pytestmark = [pytest.mark.services]


def test_a_second_beat_waits_and_takes_over_when_the_first_dies():
    env = clean_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="beat-lock-test-secret-key-0123456789-abcdefghijklmnopqrstu",
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=redis_url(13),
        CELERY_BEAT_MAX_LOOP_INTERVAL="1",  # lock lifetime 5 s
        LOG_FORMAT="text",
    )
    bin_dir = os.path.dirname(os.sys.executable)
    first = Group("beat 1", f"exec {bin_dir}/celery -A govern beat --loglevel INFO", env)
    second = None
    try:
        first.wait_for_line("beat: Acquired lock", timeout=60)
        second = Group("beat 2", f"exec {bin_dir}/celery -A govern beat --loglevel INFO", env)
        second.wait_for_line("beat: Starting", timeout=60)
        time.sleep(6)  # more than the lock's lifetime: the first renews it, the second keeps waiting
        assert not any("Acquired lock" in line for line in second.lines), second.output()
        assert not any("Sending due task" in line for line in second.lines)

        os.killpg(first.popen.pid, signal.SIGKILL)  # dies holding the lock
        killed = time.monotonic()
        second.wait_for_line("beat: Acquired lock", timeout=30)
        assert time.monotonic() - killed < 15
    finally:
        first.stop()
        if second is not None:
            second.stop()
        redis_url(13)
