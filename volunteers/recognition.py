"""Recognition of service: star levels by approved hours, and certificates of service hours.

Stars (星级志愿者) follow the approved service minutes (Volunteer.service_minutes: verified tasks
and reviewed manual records) against the thresholds in settings (volunteers.conf.star_hours).
A certificate states the hours on the day it is issued and carries an unguessable verification
code; the public check page shows what it states, with the name partly hidden.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from govern.errors import InvalidInput, NotFound, PermissionDenied
from govern.models import User
from govern.roles import is_dispatcher
from volunteers import conf
from volunteers.models import ServiceCertificate, Volunteer, VolunteerStatus

# No 0/O, 1/I/L: read aloud and typed from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class StarLevel:
    stars: int  # 0 to 5
    hours: float  # approved hours, one decimal
    next_hours: int | None  # hours needed for the next star, None at the top
    to_next: float | None  # hours still missing for it


def star_level(service_minutes: int) -> StarLevel:
    thresholds = conf.star_hours()
    hours = service_minutes / 60
    stars = sum(1 for need in thresholds if hours >= need)
    next_hours = thresholds[stars] if stars < len(thresholds) else None
    to_next = round(next_hours - hours, 1) if next_hours is not None else None
    return StarLevel(stars=stars, hours=round(hours, 1), next_hours=next_hours, to_next=to_next)


def star_label(stars: int) -> str:
    if not stars:
        return _("No star yet")
    return _("%(n)d-star volunteer") % {"n": stars}


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*, Ann Lee → A* Lee: enough to match the paper, not to find a person."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in str(raw or "").upper() if ch.isalnum())[:32]


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(conf.certificate_code_length()))


def certificate_issue(*, actor: User, volunteer_id: int) -> ServiceCertificate:
    """A certificate of the volunteer's approved hours today, for the volunteer or by a dispatcher.
    Only approved volunteers with some approved service; asking again without new service returns
    the same certificate (one per volunteer and total, a constraint)."""
    volunteer = Volunteer.objects.select_related("community", "team").filter(pk=volunteer_id).first()
    if volunteer is None:
        raise NotFound(_("No such volunteer."))
    if volunteer.user_id != actor.pk and not is_dispatcher(actor):
        raise PermissionDenied(_("Only the volunteer or a dispatcher can issue this certificate."))
    if volunteer.status != VolunteerStatus.APPROVED:
        raise InvalidInput(_("Certificates are for approved volunteers."), field="volunteer")
    if volunteer.service_minutes <= 0:
        raise InvalidInput(_("There is no approved service to certify yet."), field="volunteer")
    for _attempt in range(3):
        existing = ServiceCertificate.objects.filter(
            volunteer_id=volunteer.pk, service_minutes=volunteer.service_minutes
        ).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return ServiceCertificate.objects.create(
                    volunteer=volunteer,
                    code=_new_code(),
                    real_name=volunteer.real_name,
                    community_name=volunteer.community.name,
                    team_name=volunteer.team.name if volunteer.team_id else "",
                    service_minutes=volunteer.service_minutes,
                    stars=star_level(volunteer.service_minutes).stars,
                    issued_by=actor,
                )
        except IntegrityError:
            continue  # a double click won the race (the total), or a code clash: look again
    raise InvalidInput(_("Could not issue the certificate; please try again."), field="volunteer")


def certificate_for_owner(*, viewer: User, code: str) -> ServiceCertificate:
    """The printable certificate: its volunteer's, or any for a dispatcher; others get a 404."""
    certificate = ServiceCertificate.objects.select_related("volunteer").filter(code=normalise_code(code)).first()
    if certificate is None or (certificate.volunteer.user_id != viewer.pk and not is_dispatcher(viewer)):
        raise NotFound(_("No such certificate."))
    return certificate


def certificate_check(code: str) -> ServiceCertificate | None:
    """The public check: the certificate with this code, or None."""
    code = normalise_code(code)
    if not code:
        return None
    return ServiceCertificate.objects.filter(code=code).first()


def certificates_of(volunteer: Volunteer, limit: int = 10) -> list[ServiceCertificate]:
    return list(ServiceCertificate.objects.filter(volunteer=volunteer).order_by("-id")[:limit])


def team_star_counts(team_id: int) -> list[tuple[int, int]]:
    """(stars, approved members at exactly that level) for one to five stars, top first, levels
    nobody holds left out. One query, whatever the team's size."""
    thresholds = conf.star_hours()
    at_least = Volunteer.objects.filter(team_id=team_id, status=VolunteerStatus.APPROVED).aggregate(
        **{f"s{i}": Count("id", filter=Q(service_minutes__gte=hours * 60)) for i, hours in enumerate(thresholds, 1)}
    )
    counts = [at_least[f"s{i}"] for i in range(1, len(thresholds) + 1)] + [0]
    exact = [(i, counts[i - 1] - counts[i]) for i in range(1, len(thresholds) + 1)]
    return [(stars, n) for stars, n in reversed(exact) if n]
