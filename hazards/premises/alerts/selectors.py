"""Reads of sensor alerts, scoped to who asks: a safety officer sees their enterprises, a
dispatcher every enterprise. Constant query counts (select_related), whatever the sizes."""

from __future__ import annotations

from django.db.models import QuerySet

from govern.models import ApiClient
from govern.roles import is_dispatcher
from hazards.premises.models import AlertEvent, EnterpriseKey, Premises, Sensor

ENTERPRISE_TYPE = "enterprise"  # the premises type whose sensors may post alerts


def enterprises_for_user(*, user) -> QuerySet[Premises]:
    if user is None or not user.is_authenticated:
        return Premises.objects.none()
    query = Premises.objects.filter(type__slug=ENTERPRISE_TYPE)
    if not is_dispatcher(user):
        query = query.filter(responsible_user=user)
    return query.select_related("grid").order_by("name", "id")


def sensor_list(*, user, premises_ids=None) -> QuerySet[Sensor]:
    query = Sensor.objects.filter(premises__in=enterprises_for_user(user=user))
    if premises_ids is not None:
        query = query.filter(premises_id__in=premises_ids)
    return query.select_related("premises", "open_hazard__duplicate_of").order_by("premises__name", "sensor_id")


def alert_recent(*, user, limit: int = 30) -> list[AlertEvent]:
    return list(
        AlertEvent.objects.filter(sensor__premises__in=enterprises_for_user(user=user))
        .select_related("sensor__premises", "hazard")
        .order_by("-received_at", "-id")[:limit]
    )


def is_sensor_key(api_client: ApiClient) -> bool:
    """Whether a key was issued to an enterprise's sensors (active or not): such a key speaks for
    machines at one enterprise and is good for POST /api/v1/alerts/ only, never for Open311."""
    return EnterpriseKey.objects.filter(api_client=api_client).exists()


def enterprise_for_client(api_client: ApiClient | None) -> Premises | None:
    """The enterprise an active key speaks for, or None (no key, a revoked one, or a non-enterprise client)."""
    if api_client is None or not api_client.active:
        return None
    link = (
        EnterpriseKey.objects.select_related("premises__type", "premises__responsible_user")
        .filter(api_client=api_client)
        .first()
    )
    if link is None or not link.premises.active or link.premises.type.slug != ENTERPRISE_TYPE:
        return None
    return link.premises


def sensor_keys(*, premises_id: int) -> list[EnterpriseKey]:
    """The keys issued to one enterprise, newest first, with their clients (one query)."""
    return list(
        EnterpriseKey.objects.filter(premises_id=premises_id)
        .select_related("api_client")
        .order_by("-created_at", "-id")
    )
