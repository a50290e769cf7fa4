"""Every write of the volunteers app.

Lock order (fixed, to stay deadlock-free): volunteer row before service-record row. Counters move
with F(). Live events go out through govern.live.publish (sent on commit); docs/events.md lists them.
Permission rules that are part of the domain (who may approve, who may review minutes) are checked
here, so every entry point (API, pages, admin, commands) gets the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.geo import haversine_m, valid_coordinates
from govern.live import DISPATCH_TOPIC, publish, user_topic
from govern.models import Community, User, mainland_mobile_validator
from govern.roles import VOLUNTEER, is_dispatcher
from govern.services import user_register
from volunteers import conf
from volunteers.models import (
    AvailabilitySlot,
    ServiceRecord,
    ServiceRecordSource,
    ServiceRecordStatus,
    Skill,
    Team,
    Volunteer,
    VolunteerSkill,
    VolunteerStatus,
    VolunteerStatusChange,
)

MAX_SKILLS = 20
MAX_SLOTS = 21
MAX_REASON = 500


@dataclass(frozen=True)
class SkillClaim:
    """A skill an applicant says they hold; `certified_until` None means no expiry."""

    slug: str
    certified_until: dt.date | None = None
    certificate_no: str = ""


@dataclass(frozen=True)
class Slot:
    """Usually available on ISO `weekday` (1 = Monday ... 7 = Sunday) from `start` to `end`."""

    weekday: int
    start: dt.time
    end: dt.time


# --- validation helpers (shared by apply, update and the roster import) ----------------------------


def _clean_text(value: str | None, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, field=field)
    if len(text) > max_length:
        raise InvalidInput(
            _("%(label)s is too long (at most %(max)d characters).") % {"label": label, "max": max_length}, field=field
        )
    return text


def _clean_phone(phone: str | None, *, exclude_volunteer_id: int | None = None) -> str:
    value = (phone or "").strip().replace(" ", "").replace("-", "")
    try:
        mainland_mobile_validator(value)
    except ValidationError:
        raise InvalidInput(_("Enter a mainland China mobile number: 11 digits starting with 13–19."), field="phone")
    taken = Volunteer.objects.filter(phone=value)
    if exclude_volunteer_id is not None:
        taken = taken.exclude(pk=exclude_volunteer_id)
    if taken.exists():
        raise InvalidInput(_("This mobile number is already registered by another volunteer."), field="phone")
    return value


def _community(community_id) -> Community:
    community = Community.objects.filter(pk=community_id).first() if community_id else None
    if community is None:
        raise InvalidInput(_("Choose a community."), field="community")
    return community


def _team_in(team_id, community: Community) -> Team | None:
    if not team_id:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise InvalidInput(_("This team does not exist."), field="team")
    if team.community_id != community.pk:
        raise InvalidInput(
            _("Team %(team)s belongs to another community than %(community)s.")
            % {"team": team.name, "community": community.name},
            field="team",
        )
    return team


def _clean_skills(
    claims: Iterable[SkillClaim], *, today: dt.date, allow_inactive: Iterable[int] = ()
) -> list[tuple[Skill, SkillClaim]]:
    claims = list(claims)
    if len(claims) > MAX_SKILLS:
        raise InvalidInput(_("At most %(n)d skills.") % {"n": MAX_SKILLS}, field="skills")
    slugs = [c.slug for c in claims]
    if len(set(slugs)) != len(slugs):
        raise InvalidInput(_("Each skill may be listed only once."), field="skills")
    skills = {s.slug: s for s in Skill.objects.filter(slug__in=slugs)}
    allowed_inactive = set(allow_inactive)
    cleaned = []
    for claim in claims:
        skill = skills.get(claim.slug)
        if skill is None or (not skill.is_active and skill.pk not in allowed_inactive):
            raise InvalidInput(_("Unknown skill: %(slug)s.") % {"slug": claim.slug}, field="skills")
        if claim.certified_until is not None and claim.certified_until < today:
            raise InvalidInput(
                _("The certificate for %(skill)s expired on %(date)s.")
                % {"skill": skill.label, "date": claim.certified_until},
                field="skills",
            )
        if len(claim.certificate_no or "") > 60:
            raise InvalidInput(_("A certificate number has at most 60 characters."), field="skills")
        cleaned.append((skill, claim))
    return cleaned


def clean_availability(slots: Iterable[Slot]) -> list[Slot]:
    slots = sorted(slots, key=lambda s: (s.weekday, s.start))
    if len(slots) > MAX_SLOTS:
        raise InvalidInput(_("At most %(n)d availability ranges.") % {"n": MAX_SLOTS}, field="availability")
    previous: Slot | None = None
    for slot in slots:
        if not isinstance(slot.weekday, int) or not 1 <= slot.weekday <= 7:
            raise InvalidInput(_("A weekday is a number from 1 (Monday) to 7 (Sunday)."), field="availability")
        if slot.start >= slot.end:
            raise InvalidInput(
                _("An availability range must end after it starts (%(start)s–%(end)s).")
                % {"start": slot.start.strftime("%H:%M"), "end": slot.end.strftime("%H:%M")},
                field="availability",
            )
        if previous is not None and previous.weekday == slot.weekday and slot.start < previous.end:
            raise InvalidInput(_("Availability ranges on the same day must not overlap."), field="availability")
        previous = slot
    return slots


def _clean_reason(reason: str | None, *, required: bool) -> str:
    return _clean_text(reason, field="reason", label=_("A reason"), max_length=MAX_REASON, required=required)


def _write_skills(volunteer: Volunteer, cleaned: list[tuple[Skill, SkillClaim]]) -> None:
    VolunteerSkill.objects.filter(volunteer=volunteer).delete()
    VolunteerSkill.objects.bulk_create(
        [
            VolunteerSkill(
                volunteer=volunteer,
                skill=skill,
                certified_until=claim.certified_until,
                certificate_no=(claim.certificate_no or "").strip(),
            )
            for skill, claim in cleaned
        ]
    )


def _write_slots(volunteer: Volunteer, slots: list[Slot]) -> None:
    AvailabilitySlot.objects.filter(volunteer=volunteer).delete()
    AvailabilitySlot.objects.bulk_create(
        [AvailabilitySlot(volunteer=volunteer, weekday=s.weekday, start_time=s.start, end_time=s.end) for s in slots]
    )


def _applied_payload(volunteer: Volunteer) -> dict:
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


def _record_status(
    volunteer: Volunteer, from_status: str, to_status: str, actor: User | None, reason: str, now
) -> None:
    VolunteerStatusChange.objects.create(
        volunteer=volunteer, from_status=from_status, to_status=to_status, actor=actor, reason=reason, created_at=now
    )
    publish(
        [user_topic(volunteer.user_id), DISPATCH_TOPIC],
        "volunteer.status_changed",
        {
            "id": volunteer.pk,
            "user_id": volunteer.user_id,
            "from_status": from_status,
            "status": to_status,
            "reason": reason,
            "actor_id": actor.pk if actor else None,
            "at": now.isoformat(),
        },
    )


def _set_volunteer_role(user_id: int, present: bool) -> None:
    group, _created = Group.objects.get_or_create(name=VOLUNTEER)  # created by a migration; flushes drop it
    if present:
        group.user_set.add(user_id)
    else:
        group.user_set.remove(user_id)


# --- application -----------------------------------------------------------------------------------


@transaction.atomic
def volunteer_apply(
    *,
    user: User,
    real_name: str,
    phone: str,
    community_id: int,
    skills: Sequence[SkillClaim] = (),
    availability: Sequence[Slot] = (),
    team_id: int | None = None,
) -> Volunteer:
    """Apply to volunteer (status `pending`). A rejected applicant may apply again; anyone else who
    already has a profile gets a 409."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Log in or create an account to apply."))
    now = timezone.now()
    existing = Volunteer.objects.select_for_update().filter(user=user).first()
    if existing is not None and existing.status != VolunteerStatus.REJECTED:
        raise Conflict(
            _("You have already applied: your volunteer status is %(status)s.")
            % {"status": VolunteerStatus(existing.status).label},
            code="already_applied",
        )
    real_name = _clean_text(real_name, field="real_name", label=_("Real name"), max_length=40)
    phone = _clean_phone(phone, exclude_volunteer_id=existing.pk if existing else None)
    community = _community(community_id)
    team = _team_in(team_id, community)
    cleaned_skills = _clean_skills(skills, today=timezone.localdate(now))
    slots = clean_availability(availability)

    fields = {"real_name": real_name, "phone": phone, "community": community, "team": team}
    try:
        with transaction.atomic():
            if existing is None:
                volunteer = Volunteer.objects.create(
                    user=user, status=VolunteerStatus.PENDING, applied_at=now, status_changed_at=now, **fields
                )
                from_status = ""
            else:
                volunteer = existing
                from_status = volunteer.status
                for key, value in fields.items():
                    setattr(volunteer, key, value)
                volunteer.status = VolunteerStatus.PENDING
                volunteer.status_reason = ""
                volunteer.is_team_leader = False
                volunteer.applied_at = now
                volunteer.status_changed_at = now
                volunteer.save()
    except IntegrityError:
        # Lost a race on the unique user or phone: answer like the checks above would have.
        if Volunteer.objects.filter(user=user).exclude(pk=getattr(existing, "pk", None)).exists():
            raise Conflict(_("You have already applied."), code="already_applied")
        raise InvalidInput(_("This mobile number is already registered by another volunteer."), field="phone")
    _write_skills(volunteer, cleaned_skills)
    _write_slots(volunteer, slots)
    VolunteerStatusChange.objects.create(
        volunteer=volunteer,
        from_status=from_status,
        to_status=VolunteerStatus.PENDING,
        actor=user,
        created_at=now,
        reason=_("Applied") if not from_status else _("Applied again"),
    )
    payload = _applied_payload(volunteer)
    publish([DISPATCH_TOPIC, user_topic(user.pk)], "volunteer.applied", payload)
    return volunteer


@transaction.atomic
def volunteer_apply_with_account(
    *,
    username: str,
    password: str,
    real_name: str,
    phone: str,
    community_id: int,
    skills: Sequence[SkillClaim] = (),
    availability: Sequence[Slot] = (),
    team_id: int | None = None,
) -> Volunteer:
    """A visitor creates a resident account and applies in one step; nothing is kept if either fails."""
    username = _clean_text(username, field="username", label=_("Username"), max_length=150)
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("This username is taken."), field="username")
    candidate = User(username=username, phone=(phone or "").strip())
    try:
        validate_password(password or "", user=candidate)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password")
    # Validate the application before creating the account, so a bad form leaves nothing behind
    # even for callers that catch the error inside a surrounding transaction.
    _clean_phone(phone)
    _community(community_id)
    try:
        user = user_register(username=username, password=password, phone=(phone or "").strip())
    except IntegrityError:
        raise InvalidInput(_("This username is taken."), field="username")
    return volunteer_apply(
        user=user,
        real_name=real_name,
        phone=phone,
        community_id=community_id,
        skills=skills,
        availability=availability,
        team_id=team_id,
    )


@transaction.atomic
def volunteer_update(
    *,
    volunteer: Volunteer,
    actor: User,
    real_name: str | None = None,
    phone: str | None = None,
    community_id: int | None = None,
    team_id: int | None | type[Ellipsis] = ...,
    skills: Sequence[SkillClaim] | None = None,
    availability: Sequence[Slot] | None = None,
    max_active_tasks: int | None = None,
) -> Volunteer:
    """Change profile fields. The owner edits their own profile; dispatchers edit anyone's and alone
    may change the active task limit. `team_id=None` leaves the team; `...` leaves it unchanged."""
    dispatcher = is_dispatcher(actor)
    if actor.pk != volunteer.user_id and not dispatcher:
        raise PermissionDenied(_("You may only edit your own volunteer profile."))
    volunteer = Volunteer.objects.select_for_update().select_related("community").get(pk=volunteer.pk)
    if real_name is not None:
        volunteer.real_name = _clean_text(real_name, field="real_name", label=_("Real name"), max_length=40)
    if phone is not None:
        volunteer.phone = _clean_phone(phone, exclude_volunteer_id=volunteer.pk)
    if community_id is not None and community_id != volunteer.community_id:
        volunteer.community = _community(community_id)
        if team_id is ... and volunteer.team_id and volunteer.team.community_id != volunteer.community_id:
            team_id = None  # moving community leaves the old community's team
    if team_id is not ...:
        team = _team_in(team_id, volunteer.community)
        if (team.pk if team else None) != volunteer.team_id:
            volunteer.team = team
            volunteer.is_team_leader = False
    if max_active_tasks is not None:
        if not dispatcher:
            raise PermissionDenied(_("Only dispatchers set the active task limit."))
        if not isinstance(max_active_tasks, int) or not 1 <= max_active_tasks <= 20:
            raise InvalidInput(_("The active task limit is a number from 1 to 20."), field="max_active_tasks")
        volunteer.max_active_tasks = max_active_tasks
    try:
        with transaction.atomic():
            volunteer.save()
    except IntegrityError:
        raise InvalidInput(_("This mobile number is already registered by another volunteer."), field="phone")
    if skills is not None:
        held = VolunteerSkill.objects.filter(volunteer=volunteer).values_list("skill_id", flat=True)
        _write_skills(volunteer, _clean_skills(skills, today=timezone.localdate(), allow_inactive=list(held)))
    if availability is not None:
        _write_slots(volunteer, clean_availability(availability))
    return volunteer


# --- status transitions ---------------------------------------------------------------------------

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({VolunteerStatus.PENDING}), VolunteerStatus.APPROVED),
    "reject": (frozenset({VolunteerStatus.PENDING}), VolunteerStatus.REJECTED),
    "suspend": (frozenset({VolunteerStatus.APPROVED}), VolunteerStatus.SUSPENDED),
    "reinstate": (frozenset({VolunteerStatus.SUSPENDED}), VolunteerStatus.APPROVED),
}

_ILLEGAL = {
    "approve": gettext_lazy("Only pending applications can be approved; this volunteer is %(status)s."),
    "reject": gettext_lazy("Only pending applications can be rejected; this volunteer is %(status)s."),
    "suspend": gettext_lazy("Only approved volunteers can be suspended; this volunteer is %(status)s."),
    "reinstate": gettext_lazy("Only suspended volunteers can be reinstated; this volunteer is %(status)s."),
}


def _transition(*, action: str, volunteer_id: int, actor: User, reason: str, now=None) -> Volunteer:
    if not is_dispatcher(actor):
        raise PermissionDenied(_("Only dispatchers decide on volunteers."))
    volunteer = Volunteer.objects.select_for_update().filter(pk=volunteer_id).first()
    if volunteer is None:
        raise NotFound(_("No such volunteer."))
    if volunteer.user_id == actor.pk:
        raise PermissionDenied(_("You cannot decide on your own volunteer status."))
    sources, target = TRANSITIONS[action]
    if volunteer.status not in sources:
        raise Conflict(str(_ILLEGAL[action]) % {"status": VolunteerStatus(volunteer.status).label})
    now = now or timezone.now()
    from_status = volunteer.status
    went_off_duty = volunteer.on_duty and target != VolunteerStatus.APPROVED
    volunteer.status = target
    volunteer.status_reason = reason
    volunteer.status_changed_at = now
    if went_off_duty:
        _clear_duty(volunteer, now)
    if target != VolunteerStatus.APPROVED:
        volunteer.is_team_leader = False  # a suspended leader no longer reviews minutes
    volunteer.save()
    _set_volunteer_role(volunteer.user_id, target == VolunteerStatus.APPROVED)
    _record_status(volunteer, from_status, target, actor, reason, now)
    if went_off_duty:
        _publish_duty(volunteer)
    return volunteer


@transaction.atomic
def volunteer_approve(*, volunteer_id: int, actor: User, reason: str = "") -> Volunteer:
    """pending → approved; the user joins the `volunteer` role group."""
    return _transition(
        action="approve", volunteer_id=volunteer_id, actor=actor, reason=_clean_reason(reason, required=False)
    )


@transaction.atomic
def volunteer_reject(*, volunteer_id: int, actor: User, reason: str) -> Volunteer:
    """pending → rejected, with a reason the applicant sees."""
    return _transition(
        action="reject", volunteer_id=volunteer_id, actor=actor, reason=_clean_reason(reason, required=True)
    )


@transaction.atomic
def volunteer_suspend(*, volunteer_id: int, actor: User, reason: str) -> Volunteer:
    """approved → suspended: off duty at once, out of the `volunteer` role, no longer a team leader."""
    return _transition(
        action="suspend", volunteer_id=volunteer_id, actor=actor, reason=_clean_reason(reason, required=True)
    )


@transaction.atomic
def volunteer_reinstate(*, volunteer_id: int, actor: User, reason: str = "") -> Volunteer:
    """suspended → approved."""
    return _transition(
        action="reinstate", volunteer_id=volunteer_id, actor=actor, reason=_clean_reason(reason, required=False)
    )


# --- duty and position ----------------------------------------------------------------------------


def _clear_duty(volunteer: Volunteer, now) -> None:
    volunteer.on_duty = False
    volunteer.duty_changed_at = now
    volunteer.latitude = volunteer.longitude = volunteer.position_updated_at = None


def _publish_duty(volunteer: Volunteer, *, reason: str = "") -> None:
    base = {
        "id": volunteer.pk,
        "user_id": volunteer.user_id,
        "on_duty": volunteer.on_duty,
        "at": (volunteer.duty_changed_at or timezone.now()).isoformat(),
    }
    if reason:
        base["reason"] = reason
    # Positions are for dispatchers only: the owner's copy carries none.
    publish([user_topic(volunteer.user_id)], "volunteer.duty_changed", base)
    publish(
        [DISPATCH_TOPIC],
        "volunteer.duty_changed",
        {
            **base,
            "real_name": volunteer.real_name,
            "team_id": volunteer.team_id,
            "latitude": volunteer.latitude,
            "longitude": volunteer.longitude,
            "position_updated_at": volunteer.position_updated_at.isoformat() if volunteer.position_updated_at else None,
        },
    )


def _clean_position(latitude, longitude) -> tuple[float, float]:
    for name, value, low, high in (("latitude", latitude, -90, 90), ("longitude", longitude, -180, 180)):
        if value is None or value == "":
            raise InvalidInput(
                _("Share your position to go on duty: %(field)s is required.") % {"field": name}, field=name
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidInput(_("%(field)s must be a number.") % {"field": name}, field=name)
        if not (low <= value <= high):
            raise InvalidInput(
                _("%(field)s must be between %(low)s and %(high)s.") % {"field": name, "low": low, "high": high},
                field=name,
            )
    if not valid_coordinates(float(latitude), float(longitude)):
        raise InvalidInput(_("The position is not valid."), field="latitude")
    return float(latitude), float(longitude)


@transaction.atomic
def volunteer_duty_set(
    *, user: User, on_duty: bool, latitude: float | None = None, longitude: float | None = None, now=None
) -> Volunteer:
    """Go on duty (approved volunteers only, with a position), update the position while on duty, or
    go off duty (the position is forgotten). Publishes duty/position events for the back-office map."""
    now = now or timezone.now()
    volunteer = Volunteer.objects.select_for_update().filter(user_id=user.pk).first()
    if volunteer is None:
        raise NotFound(_("You have no volunteer profile yet: apply first."))
    if not on_duty:
        if volunteer.on_duty:
            _clear_duty(volunteer, now)
            volunteer.save()
            _publish_duty(volunteer)
        return volunteer
    if volunteer.status != VolunteerStatus.APPROVED:
        raise Conflict(
            _("Only approved volunteers can go on duty; your status is %(status)s.")
            % {"status": VolunteerStatus(volunteer.status).label},
            code="not_approved",
        )
    latitude, longitude = _clean_position(latitude, longitude)
    was_on_duty = volunteer.on_duty
    previous = (volunteer.latitude, volunteer.longitude, volunteer.position_updated_at)
    volunteer.on_duty = True
    volunteer.latitude, volunteer.longitude, volunteer.position_updated_at = latitude, longitude, now
    if not was_on_duty:
        volunteer.duty_changed_at = now
    volunteer.save()
    if not was_on_duty:
        _publish_duty(volunteer)
    elif _position_worth_publishing(previous, latitude, longitude, now):
        publish(
            [DISPATCH_TOPIC],
            "volunteer.position_changed",
            {
                "id": volunteer.pk,
                "user_id": volunteer.user_id,
                "latitude": latitude,
                "longitude": longitude,
                "position_updated_at": now.isoformat(),
            },
        )
    return volunteer


def volunteers_duty_expire_silent(*, now: dt.datetime | None = None, batch_size: int = 200) -> int:
    """Take off duty every volunteer whose last position is older than conf.duty_silence_timeout().

    Beat job. Each batch is one transaction that locks its rows in primary-key order and re-checks
    the condition under the lock, so a heartbeat that lands meanwhile keeps its volunteer on duty.
    Publishes `volunteer.duty_changed` with reason "silent" to the volunteer and the dispatchers.
    Returns how many volunteers went off duty.
    """
    now = now or timezone.now()
    cutoff = now - conf.duty_silence_timeout()
    silent = Volunteer.objects.filter(on_duty=True, position_updated_at__lt=cutoff)
    expired = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(silent.filter(pk__gt=last_id).select_for_update().order_by("pk")[:batch_size])
            for volunteer in batch:
                _clear_duty(volunteer, now)
                volunteer.save(
                    update_fields=["on_duty", "duty_changed_at", "latitude", "longitude", "position_updated_at"]
                )
                _publish_duty(volunteer, reason="silent")
        if not batch:
            return expired
        expired += len(batch)
        last_id = batch[-1].pk


def _position_worth_publishing(previous, latitude: float, longitude: float, now) -> bool:
    old_lat, old_lng, old_at = previous
    if old_lat is None or old_at is None:
        return True
    if haversine_m(old_lat, old_lng, latitude, longitude) >= conf.position_event_min_move_m():
        return True
    return now - old_at >= conf.position_event_min_interval()


# --- teams ----------------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, community_id: int, name: str, description: str = "") -> Team:
    community = _community(community_id)
    name = _clean_text(name, field="name", label=_("Team name"), max_length=100)
    if Team.objects.filter(community=community, name=name).exists():
        raise InvalidInput(_("This community already has a team with that name."), field="name")
    return Team.objects.create(community=community, name=name, description=(description or "").strip()[:300])


@transaction.atomic
def team_leader_set(*, volunteer_id: int, is_leader: bool, actor: User) -> Volunteer:
    """Make a member their team's leader (or not). Dispatchers decide; a leader must be an approved
    member of the team."""
    if not is_dispatcher(actor):
        raise PermissionDenied(_("Only dispatchers appoint team leaders."))
    volunteer = Volunteer.objects.select_for_update().filter(pk=volunteer_id).first()
    if volunteer is None:
        raise NotFound(_("No such volunteer."))
    if is_leader:
        if volunteer.team_id is None:
            raise Conflict(_("A team leader must belong to a team."))
        if volunteer.status != VolunteerStatus.APPROVED:
            raise Conflict(_("Only approved volunteers can lead a team."))
    volunteer.is_team_leader = is_leader
    volunteer.save(update_fields=["is_team_leader", "updated_at"])
    return volunteer


# --- service records ------------------------------------------------------------------------------


def _clean_minutes(minutes, *, maximum: int = 1440) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidInput(_("minutes must be a whole number."), field="minutes")
    if not 1 <= minutes <= maximum:
        raise InvalidInput(_("minutes must be between 1 and %(max)d.") % {"max": maximum}, field="minutes")
    return minutes


def _credit(volunteer_id: int, minutes: int) -> int:
    Volunteer.objects.filter(pk=volunteer_id).update(service_minutes=F("service_minutes") + minutes)
    return Volunteer.objects.filter(pk=volunteer_id).values_list("service_minutes", flat=True).get()


def _record_payload(record: ServiceRecord, volunteer: Volunteer, **extra) -> dict:
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
    approved_by_id: int | None = None,
    served_on: dt.date | None = None,
    source: str = ServiceRecordSource.TASK,
) -> ServiceRecord:
    """Credit approved minutes (dispatch calls this per verified task, e.g. source_ref="task:42").

    Idempotent per `source_ref`: a retry returns the existing record and credits nothing. A
    `source_ref` already used for another volunteer is a 409. The user must have a volunteer
    profile (404 otherwise; dispatch checks `selectors.volunteer_for_user_id` first).
    """
    minutes = _clean_minutes(minutes)
    source_ref = _clean_text(source_ref, field="source_ref", label="source_ref", max_length=80)
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
                reviewed_by_id=approved_by_id,
                reviewed_at=now if approved_by_id else None,
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
        _record_payload(record, volunteer, total_minutes=total),
    )
    return record


@transaction.atomic
def service_record_submit(*, user: User, minutes: int, served_on: dt.date, note: str) -> ServiceRecord:
    """A volunteer logs service done outside dispatch; a team leader or dispatcher reviews it."""
    volunteer = Volunteer.objects.filter(user_id=user.pk).first()
    if volunteer is None:
        raise NotFound(_("You have no volunteer profile yet: apply first."))
    if volunteer.status != VolunteerStatus.APPROVED:
        raise Conflict(_("Only approved volunteers can log service."), code="not_approved")
    minutes = _clean_minutes(minutes, maximum=conf.manual_record_max_minutes())
    today = timezone.localdate()
    if not isinstance(served_on, dt.date) or served_on > today:
        raise InvalidInput(_("The service date cannot be in the future."), field="served_on")
    if (today - served_on).days > conf.manual_record_max_age_days():
        raise InvalidInput(
            _("Service older than %(days)d days cannot be logged here.") % {"days": conf.manual_record_max_age_days()},
            field="served_on",
        )
    note = _clean_text(note, field="note", label=_("What you did"), max_length=500)
    record = ServiceRecord.objects.create(
        volunteer=volunteer,
        team_id=volunteer.team_id,
        minutes=minutes,
        source=ServiceRecordSource.MANUAL,
        served_on=served_on,
        note=note,
        status=ServiceRecordStatus.PENDING,
        submitted_by=user,
    )
    publish(
        [DISPATCH_TOPIC, user_topic(user.pk), *_leader_topics(volunteer.team_id, exclude_user_id=user.pk)],
        "volunteer.service_record_submitted",
        _record_payload(record, volunteer, real_name=volunteer.real_name, note=note),
    )
    return record


def may_review_record(actor: User, record: ServiceRecord) -> bool:
    """A dispatcher, or an approved leader of the volunteer's current team; never the volunteer."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.pk in (record.volunteer.user_id, record.submitted_by_id):
        return False
    if is_dispatcher(actor):
        return True
    team_id = record.volunteer.team_id
    return (
        team_id is not None
        and Volunteer.objects.filter(
            user_id=actor.pk, team_id=team_id, is_team_leader=True, status=VolunteerStatus.APPROVED
        ).exists()
    )


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
    topics = [
        user_topic(volunteer.user_id),
        DISPATCH_TOPIC,
        *_leader_topics(record.team_id, exclude_user_id=volunteer.user_id),
    ]
    publish(
        topics,
        "volunteer.service_record_reviewed",
        _record_payload(record, volunteer, reason=reason, reviewer_id=actor.pk, total_minutes=total),
    )
    return record


@transaction.atomic
def service_record_approve(*, record_id: int, actor: User, reason: str = "") -> ServiceRecord:
    return _review(record_id=record_id, actor=actor, approve=True, reason=_clean_reason(reason, required=False))


@transaction.atomic
def service_record_reject(*, record_id: int, actor: User, reason: str) -> ServiceRecord:
    return _review(record_id=record_id, actor=actor, approve=False, reason=_clean_reason(reason, required=True))
