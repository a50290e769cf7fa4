"""The data of the volunteers app's live events (docs/events.md): one builder per payload."""

from __future__ import annotations

from django.utils import timezone

from volunteers.models import ServiceRecord, Volunteer


def applied_payload(volunteer: Volunteer) -> dict:
    """`volunteer.applied`."""
    return {
        "id": volunteer.pk,
        "user_id": volunteer.user_id,
        "real_name": volunteer.real_name,
        "community": {"id": volunteer.community_id, "name": volunteer.community.name},
        "team_id": volunteer.team_id,
        "status": volunteer.status,
        "skills": sorted(volunteer.skill_links.values_list("skill__slug", flat=True)),
        "applied_at": volunteer.applied_at.isoformat(),
    }


def status_changed_payload(
    volunteer: Volunteer, *, from_status: str, to_status: str, reason: str, actor_id: int | None, at
) -> dict:
    """`volunteer.status_changed`."""
    return {
        "id": volunteer.pk,
        "user_id": volunteer.user_id,
        "from_status": from_status,
        "status": to_status,
        "reason": reason,
        "actor_id": actor_id,
        "at": at.isoformat(),
    }


def duty_payload(volunteer: Volunteer, *, reason: str = "") -> dict:
    """`volunteer.duty_changed` as its owner sees it: no position."""
    data = {
        "id": volunteer.pk,
        "user_id": volunteer.user_id,
        "on_duty": volunteer.on_duty,
        "at": (volunteer.duty_changed_at or timezone.now()).isoformat(),
    }
    if reason:
        data["reason"] = reason
    return data


def duty_dispatch_payload(volunteer: Volunteer, owner_payload: dict) -> dict:
    """`volunteer.duty_changed` for the dispatchers: the owner's copy with the name, team and position."""
    return {
        **owner_payload,
        "real_name": volunteer.real_name,
        "team_id": volunteer.team_id,
        "latitude": volunteer.latitude,
        "longitude": volunteer.longitude,
        "position_updated_at": volunteer.position_updated_at.isoformat() if volunteer.position_updated_at else None,
    }


def position_payload(volunteer: Volunteer) -> dict:
    """`volunteer.position_changed`."""
    return {
        "id": volunteer.pk,
        "user_id": volunteer.user_id,
        "latitude": volunteer.latitude,
        "longitude": volunteer.longitude,
        "position_updated_at": volunteer.position_updated_at.isoformat(),
    }


def record_payload(record: ServiceRecord, volunteer: Volunteer, **extra) -> dict:
    """`volunteer.service_recorded`, `…service_record_submitted`, `…service_record_reviewed`."""
    return {
        "id": record.pk,
        "volunteer_id": volunteer.pk,
        "user_id": volunteer.user_id,
        "team_id": record.team_id,
        "minutes": record.minutes,
        "source": record.source,
        "status": record.status,
        "served_on": record.served_on.isoformat(),
        **extra,
    }
