"""Fixtures of the back-office tests: hand-built hazards with timelines at chosen times."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from django.utils import timezone

from hazards.core.lifecycle import hazard_transition
from hazards.demo import seed_categories
from hazards.models import Hazard, HazardEvent, Status
from volunteers.models import ServiceRecord, ServiceRecordSource, ServiceRecordStatus, Volunteer, VolunteerStatus

_codes = itertools.count(1)
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

# The path to each status, so a test names only where a hazard ends.
PATH = {
    Status.TRIAGED: [Status.TRIAGED],
    Status.DISPATCHED: [Status.TRIAGED, Status.DISPATCHED],
    Status.IN_PROGRESS: [Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS],
    Status.RECTIFIED: [Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RECTIFIED],
    Status.VERIFIED: [Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RECTIFIED, Status.VERIFIED],
}


def at(text: str) -> datetime:
    """'2026-03-02 10:00' in the site's time zone."""
    return timezone.make_aware(datetime.fromisoformat(text))


def _code() -> str:
    n = next(_codes)
    out = ""
    for _ in range(10):
        n, r = divmod(n, len(ALPHABET))
        out += ALPHABET[r]
    return out


@pytest.fixture
def categories(db):
    return seed_categories()


@pytest.fixture
def hazard_at(categories):
    """hazard_at(grid, '2026-03-02 10:00', severity=..., category=...) → a submitted hazard reported then."""

    def make(
        grid, reported: str | datetime, *, severity="medium", category="fire-passage", lat=None, lng=None
    ) -> Hazard:
        when = at(reported) if isinstance(reported, str) else reported
        hazard = Hazard.objects.create(
            tracking_code=_code(),
            category=categories[category],
            description="测试",
            severity=severity,
            latitude=lat if lat is not None else grid.center_latitude,
            longitude=lng if lng is not None else grid.center_longitude,
            grid=grid,
            community=grid.community,
            created_at=when,
            status_changed_at=when,
        )
        HazardEvent.objects.create(hazard=hazard, from_status="", to_status=Status.SUBMITTED)
        HazardEvent.objects.filter(hazard=hazard).update(created_at=when)
        return hazard

    return make


def move(hazard: Hazard, steps: list[tuple[str, str]], actor=None) -> Hazard:
    """Apply transitions through the service, then date each event: [(status, '2026-03-02 11:00'), ...]."""
    for status, when in steps:
        hazard = hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=status)
        event = HazardEvent.objects.filter(hazard=hazard, to_status=status).order_by("-id").first()
        HazardEvent.objects.filter(pk=event.pk).update(created_at=at(when))
    return hazard


def rectify(hazard: Hazard, triaged: str, rectified: str, verified: str | None = None) -> Hazard:
    steps = [
        (Status.TRIAGED, triaged),
        (Status.DISPATCHED, triaged),
        (Status.IN_PROGRESS, triaged),
        (Status.RECTIFIED, rectified),
    ]
    if verified:
        steps.append((Status.VERIFIED, verified))
    return move(hazard, steps)


_phones = itertools.count(13800000000)


def volunteer_in(community, user) -> Volunteer:
    return Volunteer.objects.create(
        user=user,
        real_name=f"志愿者{user.pk}",
        phone=str(next(_phones)),
        community=community,
        status=VolunteerStatus.APPROVED,
    )


def service(
    volunteer: Volunteer, served_on: str, minutes: int, *, status=ServiceRecordStatus.APPROVED
) -> ServiceRecord:
    source = ServiceRecordSource.IMPORT if status != ServiceRecordStatus.PENDING else ServiceRecordSource.MANUAL
    return ServiceRecord.objects.create(
        volunteer=volunteer,
        minutes=minutes,
        source=source,
        source_ref=f"test:{next(_phones)}" if source != ServiceRecordSource.MANUAL else None,
        served_on=served_on,
        status=status,
    )


def on_duty(volunteer: Volunteer, latitude: float, longitude: float) -> None:
    from volunteers.duty import volunteer_duty_set

    volunteer_duty_set(actor=volunteer.user, on_duty=True, latitude=latitude, longitude=longitude)


def task_at(
    hazard: Hazard,
    assignee,
    offered: str,
    *,
    due: str,
    accepted: str | None = None,
    status=None,
    completed: str | None = None,
    verified: str | None = None,
    ended: str | None = None,
    overdue: bool = False,
    kind: str = "grid_worker",
):
    """A hand-built task with chosen times (the dispatch services stamp `now`; KPIs need the past).
    The accept deadline is a minute after the offer so any due time after that is allowed."""
    from datetime import timedelta

    from hazards.models import Task, TaskStatus

    offered_at = at(offered)
    if status is None:
        status = TaskStatus.DONE if completed else TaskStatus.ACCEPTED if accepted else TaskStatus.OFFERED
    return Task.objects.create(
        hazard=hazard,
        assignee=assignee,
        assignee_kind=kind,
        status=status,
        offered_at=offered_at,
        accept_deadline=offered_at + timedelta(minutes=1),
        due_at=at(due),
        overdue=overdue,
        accepted_at=at(accepted) if accepted else None,
        completed_at=at(completed) if completed else None,
        verified_at=at(verified) if verified else None,
        ended_at=at(ended) if ended else None,
    )
