"""Volunteers' profiles and status: applying, editing, the dispatchers' decisions, teams.

Duty and positions are in volunteers.duty, service minutes in volunteers.service_records; the
input checks in volunteers.clean, event data in volunteers.payloads, permissions in
volunteers.policy. Lock order (fixed, to stay deadlock-free): volunteer row before service-record
row. Live events go out through govern.live.publish (sent on commit); docs/events.md lists them.
Permission rules that are part of the domain (who may approve, who may edit) are checked here, so
every entry point (API, pages, admin, commands) gets the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, publish, user_topic
from govern.media.writer import delete_files
from govern.models import User
from govern.roles import VOLUNTEER, is_dispatcher
from govern.services import user_register
from volunteers.clean import (
    SkillClaim,
    Slot,
    clean_availability,
    clean_community,
    clean_phone,
    clean_reason,
    clean_skills,
    clean_team,
    clean_text,
)
from volunteers.duty import clear_duty, publish_duty
from volunteers.models import (
    REVIEWABLE_SKILL,
    AvailabilitySlot,
    Skill,
    Team,
    Volunteer,
    VolunteerSkill,
    VolunteerStatus,
    VolunteerStatusChange,
)
from volunteers.payloads import applied_payload, status_changed_payload
from volunteers.policy import may_edit_profile


def _write_skills(volunteer: Volunteer, cleaned: list[tuple[Skill, SkillClaim]], *, actor: User | None) -> None:
    """Replace the volunteer's skills. A dispatcher's write is the review; anyone else's keeps the
    review of claims it leaves exactly as they were and leaves new or changed claims unreviewed."""
    reviewer = actor if actor is not None and is_dispatcher(actor) and actor.pk != volunteer.user_id else None
    now = timezone.now()
    links = list(VolunteerSkill.objects.filter(volunteer=volunteer))
    previous = {(link.skill_id, link.certified_until, link.certificate_no): link for link in links}
    # The certificate photo belongs to the skill held, whatever else of the claim changes.
    photos = {link.skill_id: link.certificate_photo.name for link in links if link.certificate_photo}
    rows = []
    for skill, claim in cleaned:
        certificate_no = (claim.certificate_no or "").strip()
        kept = previous.get((skill.pk, claim.certified_until, certificate_no))
        photo = photos.get(skill.pk, "")
        # A licensed skill is confirmed only with its certificate photo.
        reviews = reviewer is not None and (not skill.licensed or bool(photo))
        rows.append(
            VolunteerSkill(
                volunteer=volunteer,
                skill=skill,
                certified_until=claim.certified_until,
                certificate_no=certificate_no,
                certificate_photo=photo,
                reviewed_at=now if reviews else (kept.reviewed_at if kept else None),
                reviewed_by=reviewer if reviews else (kept.reviewed_by if kept else None),
            )
        )
    VolunteerSkill.objects.filter(volunteer=volunteer).delete()
    VolunteerSkill.objects.bulk_create(rows)
    dropped = [name for skill_id, name in photos.items() if skill_id not in {skill.pk for skill, _c in cleaned}]
    if dropped:
        transaction.on_commit(lambda: delete_files(dropped))


def _write_slots(volunteer: Volunteer, slots: list[Slot]) -> None:
    AvailabilitySlot.objects.filter(volunteer=volunteer).delete()
    AvailabilitySlot.objects.bulk_create(
        [AvailabilitySlot(volunteer=volunteer, weekday=s.weekday, start_time=s.start, end_time=s.end) for s in slots]
    )


def _record_status(
    volunteer: Volunteer, from_status: str, to_status: str, actor: User | None, reason: str, now
) -> None:
    VolunteerStatusChange.objects.create(
        volunteer=volunteer, from_status=from_status, to_status=to_status, actor=actor, reason=reason, created_at=now
    )
    data = status_changed_payload(
        volunteer,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        actor_id=actor.pk if actor else None,
        at=now,
    )
    publish([user_topic(volunteer.user_id), DISPATCH_TOPIC], "volunteer.status_changed", data)


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
    actor: User,
    real_name: str,
    phone: str,
    community_id: int,
    skills: Sequence[SkillClaim] = (),
    availability: Sequence[Slot] = (),
    team_id: int | None = None,
) -> Volunteer:
    """Apply to volunteer (status `pending`). A rejected applicant may apply again; anyone else who
    already has a profile gets a 409."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Log in or create an account to apply."))
    now = timezone.now()
    existing = Volunteer.objects.select_for_update().filter(user=actor).first()
    if existing is not None and existing.status != VolunteerStatus.REJECTED:
        raise Conflict(
            _("You have already applied: your volunteer status is %(status)s.")
            % {"status": VolunteerStatus(existing.status).label},
            code="already_applied",
        )
    real_name = clean_text(real_name, field="real_name", label=_("Real name"), max_length=40)
    phone = clean_phone(phone, exclude_volunteer_id=existing.pk if existing else None)
    community = clean_community(community_id)
    team = clean_team(team_id, community)
    cleaned_skills = clean_skills(skills, today=timezone.localdate(now))
    slots = clean_availability(availability)

    fields = {"real_name": real_name, "phone": phone, "community": community, "team": team}
    try:
        with transaction.atomic():
            if existing is None:
                volunteer = Volunteer.objects.create(
                    user=actor, status=VolunteerStatus.PENDING, applied_at=now, status_changed_at=now, **fields
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
        if Volunteer.objects.filter(user=actor).exclude(pk=getattr(existing, "pk", None)).exists():
            raise Conflict(_("You have already applied."), code="already_applied")
        raise InvalidInput(_("This mobile number is already registered by another volunteer."), field="phone")
    _write_skills(volunteer, cleaned_skills, actor=actor)
    _write_slots(volunteer, slots)
    VolunteerStatusChange.objects.create(
        volunteer=volunteer,
        from_status=from_status,
        to_status=VolunteerStatus.PENDING,
        actor=actor,
        created_at=now,
        reason=_("Applied") if not from_status else _("Applied again"),
    )
    publish([DISPATCH_TOPIC, user_topic(actor.pk)], "volunteer.applied", applied_payload(volunteer))
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
    username = clean_text(username, field="username", label=_("Username"), max_length=150)
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("This username is taken."), field="username")
    candidate = User(username=username, phone=(phone or "").strip())
    try:
        validate_password(password or "", user=candidate)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password")
    # Validate the application before creating the account, so a bad form leaves nothing behind
    # even for callers that catch the error inside a surrounding transaction.
    clean_phone(phone)
    clean_community(community_id)
    try:
        user = user_register(username=username, password=password, phone=(phone or "").strip())
    except IntegrityError:
        raise InvalidInput(_("This username is taken."), field="username")
    return volunteer_apply(
        actor=user,
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
    volunteer_id: int,
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
    volunteer = Volunteer.objects.select_for_update().select_related("community").filter(pk=volunteer_id).first()
    if volunteer is None:
        raise NotFound(_("No such volunteer."))
    if not may_edit_profile(actor, volunteer):
        raise PermissionDenied(_("You may only edit your own volunteer profile."))
    if real_name is not None:
        volunteer.real_name = clean_text(real_name, field="real_name", label=_("Real name"), max_length=40)
    if phone is not None:
        volunteer.phone = clean_phone(phone, exclude_volunteer_id=volunteer.pk)
    if community_id is not None and community_id != volunteer.community_id:
        volunteer.community = clean_community(community_id)
        if team_id is ... and volunteer.team_id and volunteer.team.community_id != volunteer.community_id:
            team_id = None  # moving community leaves the old community's team
    if team_id is not ...:
        team = clean_team(team_id, volunteer.community)
        if (team.pk if team else None) != volunteer.team_id:
            volunteer.team = team
            volunteer.is_team_leader = False
    if max_active_tasks is not None:
        if not is_dispatcher(actor):
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
        _write_skills(
            volunteer, clean_skills(skills, today=timezone.localdate(), allow_inactive=list(held)), actor=actor
        )
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
        clear_duty(volunteer, now)
    if target != VolunteerStatus.APPROVED:
        volunteer.is_team_leader = False  # a suspended leader no longer reviews minutes
    volunteer.save()
    _set_volunteer_role(volunteer.user_id, target == VolunteerStatus.APPROVED)
    if action == "approve":  # approving the application reviews the skills it claims
        VolunteerSkill.objects.filter(REVIEWABLE_SKILL, volunteer=volunteer, reviewed_at__isnull=True).update(
            reviewed_at=now, reviewed_by=actor
        )
    _record_status(volunteer, from_status, target, actor, reason, now)
    if went_off_duty:
        publish_duty(volunteer)
    return volunteer


@transaction.atomic
def volunteer_skills_review(*, volunteer_id: int, actor: User, reason: str = "") -> Volunteer:
    """A dispatcher confirms the volunteer's skill claims (certificates checked): dispatch counts
    them from now on. Claims the volunteer changes later need another review; a licensed skill
    without its certificate photo stays unconfirmed."""
    if not is_dispatcher(actor):
        raise PermissionDenied(_("Only dispatchers review skills."))
    volunteer = Volunteer.objects.select_for_update().filter(pk=volunteer_id).first()
    if volunteer is None:
        raise NotFound(_("No such volunteer."))
    if volunteer.user_id == actor.pk:
        raise PermissionDenied(_("Someone else must review your own skills."))
    VolunteerSkill.objects.filter(REVIEWABLE_SKILL, volunteer=volunteer, reviewed_at__isnull=True).update(
        reviewed_at=timezone.now(), reviewed_by=actor
    )
    return volunteer


@transaction.atomic
def volunteer_approve(*, volunteer_id: int, actor: User, reason: str = "") -> Volunteer:
    """pending → approved; the user joins the `volunteer` role group."""
    return _transition(
        action="approve", volunteer_id=volunteer_id, actor=actor, reason=clean_reason(reason, required=False)
    )


@transaction.atomic
def volunteer_reject(*, volunteer_id: int, actor: User, reason: str) -> Volunteer:
    """pending → rejected, with a reason the applicant sees."""
    return _transition(
        action="reject", volunteer_id=volunteer_id, actor=actor, reason=clean_reason(reason, required=True)
    )


@transaction.atomic
def volunteer_suspend(*, volunteer_id: int, actor: User, reason: str) -> Volunteer:
    """approved → suspended: off duty at once, out of the `volunteer` role, no longer a team leader."""
    return _transition(
        action="suspend", volunteer_id=volunteer_id, actor=actor, reason=clean_reason(reason, required=True)
    )


@transaction.atomic
def volunteer_reinstate(*, volunteer_id: int, actor: User, reason: str = "") -> Volunteer:
    """suspended → approved."""
    return _transition(
        action="reinstate", volunteer_id=volunteer_id, actor=actor, reason=clean_reason(reason, required=False)
    )


# --- teams ----------------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, community_id: int, name: str, description: str = "") -> Team:
    community = clean_community(community_id)
    name = clean_text(name, field="name", label=_("Team name"), max_length=100)
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
