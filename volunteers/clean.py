"""Input of the volunteers app: the values an application carries, and the checks every entry point
(API, pages, admin, the roster import) shares. Each check returns the cleaned value or raises
InvalidInput naming the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from govern.errors import InvalidInput
from govern.geo import valid_coordinates
from govern.models import Community, mainland_mobile_validator
from volunteers.models import Skill, Team, Volunteer

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


def clean_text(value: str | None, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, field=field)
    if len(text) > max_length:
        raise InvalidInput(
            _("%(label)s is too long (at most %(max)d characters).") % {"label": label, "max": max_length}, field=field
        )
    return text


def clean_phone(phone: str | None, *, exclude_volunteer_id: int | None = None) -> str:
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


def clean_community(community_id) -> Community:
    community = Community.objects.filter(pk=community_id).first() if community_id else None
    if community is None:
        raise InvalidInput(_("Choose a community."), field="community")
    return community


def clean_team(team_id, community: Community) -> Team | None:
    """The team `team_id` of this community, or None for no team."""
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


def clean_skills(
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


def clean_reason(reason: str | None, *, required: bool) -> str:
    return clean_text(reason, field="reason", label=_("A reason"), max_length=MAX_REASON, required=required)


def clean_minutes(minutes, *, maximum: int = 1440) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidInput(_("minutes must be a whole number."), field="minutes")
    if not 1 <= minutes <= maximum:
        raise InvalidInput(_("minutes must be between 1 and %(max)d.") % {"max": maximum}, field="minutes")
    return minutes


def clean_position(latitude, longitude) -> tuple[float, float]:
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
