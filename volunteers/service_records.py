"""Service minutes: credited for verified tasks (idempotent per source), logged by volunteers and
reviewed by a team leader or a dispatcher. Lock order: volunteer row before service-record row;
the volunteer's total moves with F().
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, publish, user_topic
from govern.models import User
from govern.task_outbox import enqueue_on_commit
from volunteers import conf
from volunteers.clean import clean_minutes, clean_reason, clean_text
from volunteers.models import ServiceRecord, ServiceRecordSource, ServiceRecordStatus, Volunteer, VolunteerStatus
from volunteers.payloads import record_payload
from volunteers.policy import may_review_record

SERVICE_RECORD_SOURCE = "volunteers.service_record"


def _credit(volunteer_id: int, minutes: int) -> int:
    Volunteer.objects.filter(pk=volunteer_id).update(service_minutes=F("service_minutes") + minutes)
    return Volunteer.objects.filter(pk=volunteer_id).values_list("service_minutes", flat=True).get()


def _leader_topics(team_id: int | None, *, exclude_user_id: int) -> list[str]:
    if team_id is None:
        return []
    ids = (
        Volunteer.objects.filter(team_id=team_id, is_team_leader=True, status=VolunteerStatus.APPROVED)
        .exclude(user_id=exclude_user_id)
        .values_list("user_id", flat=True)
    )
    return [user_topic(uid) for uid in ids]


@transaction.atomic
def service_record_create(
    *,
    volunteer_user_id: int,
    minutes: int,
    source_ref: str,
    note: str = "",
    actor: User | None = None,
    served_on: dt.date | None = None,
    source: str = ServiceRecordSource.TASK,
) -> ServiceRecord:
    """Credit approved minutes (dispatch calls this per verified task, e.g. source_ref="task:42"),
    approved by `actor` (the verifier; None for an import).

    Idempotent per `source_ref`: a retry returns the existing record and credits nothing. A
    `source_ref` already used for another volunteer is a 409. The user must have a volunteer
    profile (404 otherwise; dispatch checks `selectors.volunteer_for_user_id` first).
    """
    minutes = clean_minutes(minutes)
    source_ref = clean_text(source_ref, field="source_ref", label="source_ref", max_length=80)
    if source not in (ServiceRecordSource.TASK, ServiceRecordSource.IMPORT):
        raise InvalidInput(_("Manual entries are submitted by the volunteer and reviewed."), field="source")

    def existing_or_conflict():
        record = ServiceRecord.objects.select_related("volunteer").filter(source_ref=source_ref).first()
        if record is not None and record.volunteer.user_id != volunteer_user_id:
            raise Conflict(_("Service for %(ref)s is already recorded for another volunteer.") % {"ref": source_ref})
        return record

    record = existing_or_conflict()
    if record is not None:
        return record
    volunteer = Volunteer.objects.filter(user_id=volunteer_user_id).first()
    if volunteer is None:
        raise NotFound(_("This person has no volunteer profile."), field="volunteer_user_id")
    now = timezone.now()
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                volunteer=volunteer,
                team_id=volunteer.team_id,
                minutes=minutes,
                source=source,
                source_ref=source_ref,
                served_on=served_on or timezone.localdate(now),
                note=(note or "")[:500],
                status=ServiceRecordStatus.APPROVED,
                reviewed_by=actor,
                reviewed_at=now if actor is not None else None,
                created_at=now,
            )
    except IntegrityError:
        record = existing_or_conflict()  # a concurrent call with the same source_ref won
        if record is None:
            raise
        return record
    total = _credit(volunteer.pk, minutes)
    publish(
        [user_topic(volunteer.user_id)],
        "volunteer.service_recorded",
        record_payload(record, volunteer, total_minutes=total),
    )
    return record


def _check_daily_cap(*, volunteer_id: int, served_on: dt.date, minutes: int) -> None:
    """Manual minutes for one date, pending and approved together, stay within the daily cap
    (issue 21 item 16: 4 x 720 minutes were accepted for one day). Rejected entries do not count."""
    cap = conf.manual_daily_max_minutes()
    logged = (
        ServiceRecord.objects.filter(volunteer_id=volunteer_id, source=ServiceRecordSource.MANUAL, served_on=served_on)
        .exclude(status=ServiceRecordStatus.REJECTED)
        .aggregate(total=Sum("minutes"))["total"]
        or 0
    )
    if logged + minutes > cap:
        raise InvalidInput(
            _("At most %(cap)d minutes of service can be logged for one day; %(left)d are left for %(date)s.")
            % {"cap": cap, "left": max(cap - logged, 0), "date": served_on.isoformat()},
            field="minutes",
        )


@transaction.atomic
def service_record_submit(*, actor: User, minutes: int, served_on: dt.date, note: str) -> ServiceRecord:
    """A volunteer logs service done outside dispatch; a team leader or dispatcher reviews it."""
    # Locked: two entries submitted at once must not both fit under the daily cap.
    volunteer = Volunteer.objects.select_for_update().filter(user_id=actor.pk).first()
    if volunteer is None:
        raise NotFound(_("You have no volunteer profile yet: apply first."))
    if volunteer.status != VolunteerStatus.APPROVED:
        raise Conflict(_("Only approved volunteers can log service."), code="not_approved")
    minutes = clean_minutes(minutes, maximum=conf.manual_record_max_minutes())
    today = timezone.localdate()
    if not isinstance(served_on, dt.date) or served_on > today:
        raise InvalidInput(_("The service date cannot be in the future."), field="served_on")
    if (today - served_on).days > conf.manual_record_max_age_days():
        raise InvalidInput(
            _("Service older than %(days)d days cannot be logged here.") % {"days": conf.manual_record_max_age_days()},
            field="served_on",
        )
    _check_daily_cap(volunteer_id=volunteer.pk, served_on=served_on, minutes=minutes)
    note = clean_text(note, field="note", label=_("What you did"), max_length=500)
    record = ServiceRecord.objects.create(
        volunteer=volunteer,
        team_id=volunteer.team_id,
        minutes=minutes,
        source=ServiceRecordSource.MANUAL,
        served_on=served_on,
        note=note,
        status=ServiceRecordStatus.PENDING,
        submitted_by=actor,
    )
    publish(
        [DISPATCH_TOPIC, user_topic(actor.pk), *_leader_topics(volunteer.team_id, exclude_user_id=actor.pk)],
        "volunteer.service_record_submitted",
        record_payload(record, volunteer, real_name=volunteer.real_name, note=note),
    )
    return record


def _review(*, record_id: int, actor: User, approve: bool, reason: str) -> ServiceRecord:
    record = ServiceRecord.objects.select_related("volunteer").filter(pk=record_id).first()
    if record is None:
        raise NotFound(_("No such service record."))
    if actor.pk in (record.volunteer.user_id, record.submitted_by_id):
        raise PermissionDenied(_("You cannot review your own service minutes."))
    if not may_review_record(actor, record):
        raise PermissionDenied(_("Only a leader of the volunteer's team or a dispatcher can review these minutes."))
    record = ServiceRecord.objects.select_for_update().select_related("volunteer").get(pk=record_id)
    if record.status != ServiceRecordStatus.PENDING:
        raise Conflict(
            _("This service record was already reviewed (%(status)s).")
            % {"status": ServiceRecordStatus(record.status).label}
        )
    now = timezone.now()
    record.status = ServiceRecordStatus.APPROVED if approve else ServiceRecordStatus.REJECTED
    record.reviewed_by = actor
    record.reviewed_at = now
    record.review_reason = reason
    record.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    volunteer = record.volunteer
    total = _credit(volunteer.pk, record.minutes) if approve else volunteer.service_minutes
    if approve:
        # Paid on commit, once per record (the award's source), per 30 minutes (the rule row).
        # By name: rewards and volunteers never import each other (rule codes: rewards.earning).
        enqueue_on_commit(
            "rewards.tasks.award_points",
            user_id=volunteer.user_id,
            rule_code="service_minutes",
            source_type=SERVICE_RECORD_SOURCE,
            source_id=str(record.pk),
            actor_id=actor.pk,
            minutes=record.minutes,
        )
    topics = [
        user_topic(volunteer.user_id),
        DISPATCH_TOPIC,
        *_leader_topics(record.team_id, exclude_user_id=volunteer.user_id),
    ]
    publish(
        topics,
        "volunteer.service_record_reviewed",
        record_payload(record, volunteer, reason=reason, reviewer_id=actor.pk, total_minutes=total),
    )
    return record


@transaction.atomic
def service_record_approve(*, record_id: int, actor: User, reason: str = "") -> ServiceRecord:
    return _review(record_id=record_id, actor=actor, approve=True, reason=clean_reason(reason, required=False))


@transaction.atomic
def service_record_reject(*, record_id: int, actor: User, reason: str) -> ServiceRecord:
    return _review(record_id=record_id, actor=actor, approve=False, reason=clean_reason(reason, required=True))
