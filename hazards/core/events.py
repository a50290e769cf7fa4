"""Live events of hazards and tasks: who follows them, and one builder per payload.

Every `hazard.*` and `task.*` payload (docs/events.md §10) is built here and nowhere else; other
payloads that carry a hazard or a task (premises, sensor alerts, campaigns, the office board) pick
their fields from `hazard_fields` / `task_fields`, so a field means the same everywhere it appears.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.core.files.storage import default_storage
from django.utils import timezone

from govern.live import DISPATCH_TOPIC, grid_topic, hazard_topic, user_topic
from hazards.models import Hazard, HazardEvent, PhotoStatus, Task

# --- fields ---------------------------------------------------------------------------------------

HAZARD_FIELDS: dict[str, Callable[[Hazard], object]] = {
    "id": lambda h: h.pk,
    "tracking_code": lambda h: h.tracking_code,
    "status": lambda h: h.status,
    "severity": lambda h: h.severity,
    "category": lambda h: h.category.slug if h.category_id else None,
    "category_name": lambda h: h.category.name,
    "category_name_en": lambda h: h.category.name_en,
    "icon": lambda h: h.category.icon,
    "grid": lambda h: h.grid_id,
    "community": lambda h: h.community_id,
    "latitude": lambda h: h.latitude,
    "longitude": lambda h: h.longitude,
    "address": lambda h: h.address,
    "source": lambda h: h.source,
    "created_at": lambda h: h.created_at.isoformat(),
}

TASK_FIELDS: dict[str, Callable[[Task], object]] = {
    "id": lambda t: t.pk,
    "status": lambda t: t.status,
    "assignee": lambda t: t.assignee_id,
    "assignee_kind": lambda t: t.assignee_kind,
    "offered_at": lambda t: t.offered_at.isoformat(),
    "accept_deadline": lambda t: t.accept_deadline.isoformat(),
    "due_at": lambda t: t.due_at.isoformat(),
    "overdue": lambda t: t.overdue,
    "verified": lambda t: t.verified_at is not None,
    "reason": lambda t: t.reason,
    "note": lambda t: t.note,
}

# The hazard as a task payload carries it (enough for an assignee's list and map).
TASK_HAZARD = (
    "id",
    "tracking_code",
    "status",
    "category",
    "category_name",
    "category_name_en",
    "icon",
    "severity",
    "latitude",
    "longitude",
    "address",
    "grid",
)


def hazard_fields(hazard: Hazard, names: Iterable[str]) -> dict:
    """The named fields of a hazard, in the order named."""
    return {name: HAZARD_FIELDS[name](hazard) for name in names}


def task_fields(task: Task, names: Iterable[str]) -> dict:
    """The named fields of a task, in the order named."""
    return {name: TASK_FIELDS[name](task) for name in names}


# --- who follows ----------------------------------------------------------------------------------


def hazard_topics(hazard: Hazard, *, tracking: bool = True) -> list[str]:
    """Who follows a hazard: the dispatchers, its grid, its public tracking page (`tracking`) and its reporter."""
    topics = [DISPATCH_TOPIC, grid_topic(hazard.grid_id)]
    if tracking:
        topics.append(hazard_topic(hazard.tracking_code))
    if hazard.reporter_id:
        topics.append(user_topic(hazard.reporter_id))
    return topics


def merged_followers(hazard: Hazard) -> list[str]:
    """The reports merged into this one as duplicates follow it: their tracking pages and reporters."""
    topics = []
    for code, reporter_id in Hazard.objects.filter(duplicate_of_id=hazard.pk).values_list(
        "tracking_code", "reporter_id"
    ):
        topics.append(hazard_topic(code))
        if reporter_id:
            topics.append(user_topic(reporter_id))
    return topics


def task_topics(task: Task) -> list[str]:
    """Who follows a task: its assignee, its hazard's grid and the dispatchers."""
    return [user_topic(task.assignee_id), grid_topic(task.hazard.grid_id), DISPATCH_TOPIC]


# --- hazard.* -------------------------------------------------------------------------------------


def photo_payload(photo) -> dict:
    """One photo in a live event (public-safe: only re-encoded renditions, never the upload)."""
    ready = photo.status == PhotoStatus.READY
    return {
        "id": photo.pk,
        "position": photo.position,
        "status": photo.status,
        "thumb": default_storage.url(photo.thumb.name) if ready else None,
        "medium": default_storage.url(photo.medium.name) if ready else None,
        "image": default_storage.url(photo.image.name) if ready else None,
        "width": photo.width,
        "height": photo.height,
        "failure": photo.get_failure_display() if photo.failure else "",
    }


def hazard_created(hazard: Hazard, photos: Sequence) -> dict:
    """`hazard.created`: the new report, its photos as they stand (usually still processing)."""
    return {
        **hazard_fields(
            hazard,
            (
                "id",
                "tracking_code",
                "status",
                "category",
                "category_name",
                "category_name_en",
                "severity",
                "grid",
                "community",
                "latitude",
                "longitude",
                "address",
            ),
        ),
        "photo_count": len(photos),
        "photos_pending": sum(1 for p in photos if p.status == PhotoStatus.PROCESSING),
        "thumb": default_storage.url(photos[0].thumb.name) if photos and photos[0].thumb else None,
        **hazard_fields(hazard, ("source", "created_at")),
    }


def hazard_status_changed(hazard: Hazard, event: HazardEvent) -> dict:
    """`hazard.status_changed` (also a severity raised: from == to). Goes to the public tracking
    topic too: no identities, no exact location."""
    return {
        **hazard_fields(hazard, ("id", "tracking_code", "category", "severity", "grid")),
        "from": event.from_status,
        "to": event.to_status,
        "status": hazard.status,
        "note": event.note,
        "duplicate_of": hazard.duplicate_of.tracking_code if hazard.duplicate_of_id else None,
        "at": event.created_at.isoformat(),
    }


def hazard_photos_ready(hazard: Hazard, photos: Sequence) -> dict:
    """`hazard.photos_ready`: every photo of the report, after processing changed some of them."""
    ready = [p for p in photos if p.status == PhotoStatus.READY]
    return {
        **hazard_fields(hazard, ("id", "tracking_code")),
        "photo_count": len(ready),
        "photos_pending": sum(1 for p in photos if p.status == PhotoStatus.PROCESSING),
        "thumb": photo_payload(ready[0])["thumb"] if ready else None,
        "photos": [photo_payload(p) for p in photos],
        "at": timezone.now().isoformat(),
    }


# --- task.* ---------------------------------------------------------------------------------------


def task_changed(task: Task) -> dict:
    """`task.offered` and `task.updated`: the task and its hazard as they stand."""
    return {
        **task_fields(task, ("id", "status")),
        "hazard": hazard_fields(task.hazard, TASK_HAZARD),
        **task_fields(
            task,
            (
                "assignee",
                "assignee_kind",
                "offered_at",
                "accept_deadline",
                "due_at",
                "overdue",
                "verified",
                "reason",
                "note",
            ),
        ),
        "at": timezone.now().isoformat(),
    }


def task_expiring(task: Task, *, now) -> dict:
    """`task.expiring`: an offer still open close to its accept deadline, and the seconds left."""
    return {**task_changed(task), "expires_in_s": max(0, int((task.accept_deadline - now).total_seconds()))}


def task_returned(task: Task) -> dict:
    """`task.updated` for a refused fix: the task is back with its assignee, `reason` says why."""
    return {**task_changed(task), "returned": True}


def task_with_photos(task: Task, photos: Sequence) -> dict:
    """`task.updated` for a completion: the after-photos too (thumbnails of the ready ones)."""
    ready = [p for p in photos if p.status == PhotoStatus.READY]
    return {
        **task_changed(task),
        "photos": [default_storage.url(p.thumb.name) for p in ready],
        "photos_pending": sum(1 for p in photos if p.status == PhotoStatus.PROCESSING),
        "photo_details": [photo_payload(p) for p in photos],
    }


def task_overdue(task: Task, *, now) -> dict:
    """`task.overdue`: the task, and how many seconds past its due time it was flagged."""
    return {**task_changed(task), "overdue_by_s": int((now - task.due_at).total_seconds())}


def task_reach(task: Task, reach: dict) -> dict:
    """`task.reach`: whether the offer's card was seen and how it was sent (the offer ladder)."""
    return {
        **task_fields(task, ("id", "status", "assignee")),
        "hazard": {"id": task.hazard_id},
        "seen": bool(reach.get("seen")),
        "push": reach.get("push"),
        "sms": reach.get("sms"),
        "at": timezone.now().isoformat(),
    }


def hazard_feedback(hazard: Hazard, feedback, *, photos: int = 0) -> dict:
    """`hazard.feedback`: the reporter answered whether the fix worked (no identity, no comment:
    the board fetches what it shows); sent again when the answer's photo is ready (`photos`)."""
    return {
        "id": hazard.pk,
        "tracking_code": hazard.tracking_code,
        "status": hazard.status,
        "fixed": feedback.fixed,
        "stars": feedback.stars,
        "photos": photos,
        "created_at": feedback.created_at.isoformat(),
    }
