"""`/health/live` and `/health/ready` for load balancers, systemd and orchestrators (django-health-check).

- live: the process answers HTTP (no dependency checked: a database outage must not get every
  server restarted).
- ready: this process can serve requests: the database answers, every migration is applied, the
  media storage stores, reads and deletes a file, and in services mode Redis (channel layer,
  cache) and the Celery broker answer. 200 when all pass, 500 naming the failed check otherwise;
  `?format=json` (or `Accept: application/json`) for machines.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration on disk is applied: a server started on a database the deploy has not
    migrated yet would answer 500s on the pages whose tables changed."""

    alias: str = "default"

    def run(self):
        try:
            loader = MigrationLoader(connections[self.alias])
        except DatabaseError as exc:
            raise ServiceUnavailable("database unreachable while reading migrations") from exc
        finally:
            connections[self.alias].close_if_unusable_or_obsolete()
        # Every migration on disk, not just a plan to the leaves: a plan skips a gap below an
        # applied leaf (a table a restore or a hand edit lost).
        missing = sorted(node for node in loader.graph.nodes if node not in loader.applied_migrations)
        if missing:
            names = ", ".join(f"{app}.{name}" for app, name in missing[:5])
            raise ServiceUnavailable(f"{len(missing)} migration(s) not applied: {names}")


@dataclasses.dataclass
class RedisPing(HealthCheck):
    """The Redis of the channel layer and the cache (REDIS_URL) answers a PING."""

    async def run(self):
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        client = Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        try:
            await client.ping()
        except (RedisError, OSError) as exc:
            raise ServiceUnavailable(f"Redis unreachable: {type(exc).__name__}") from exc
        finally:
            await client.aclose()


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (work queued by requests can be handed over; the
    task outbox keeps it meanwhile, but a long outage is an operator's business)."""

    def run(self):
        from govern.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise ServiceUnavailable(f"broker unreachable: {type(exc).__name__}") from exc


def ready_checks() -> list:
    checks: list = [Database, MigrationsApplied, Storage]
    if getattr(settings, "REDIS_URL", ""):
        checks += [RedisPing, Broker]
    return checks


class LiveView(HealthCheckView):
    checks = ()


class ReadyView(HealthCheckView):
    def get_checks(self):
        self.checks = ready_checks()
        return super().get_checks()
