"""Demo data of the volunteers app for `seed_demo`: skills, one Blue Shield team per community,
vol1..vol5 approved and on duty with fresh positions inside the demo grids, two pending applicants
for the approval list, some service minutes. Deterministic and idempotent (natural keys);
re-seeding refreshes the duty positions so dispatch finds the demo volunteers again.

Skill slugs are stable names other apps may use (hazard categories require e.g. "gas-safety").
"""

from __future__ import annotations

import datetime as dt
import io
import random

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from govern.demo import DEMO_PASSWORD, DemoContext, demo_bounds
from govern.media.renditions import process_upload
from govern.media.writer import PhotoWriter
from govern.models import User
from govern.roles import RESIDENT, VOLUNTEER
from volunteers import certificates, clean, conf, duty, service_records, services
from volunteers.models import (
    ServiceRecord,
    ServiceRecordSource,
    Skill,
    Team,
    Volunteer,
    VolunteerSkill,
    VolunteerStatus,
    VolunteerStatusChange,
)

FIRST_AID, ELECTRICIAN, GAS_SAFETY, FIRE_SAFETY = "first-aid", "electrician", "gas-safety", "fire-safety"
TRAFFIC, ELDERLY_CARE, WATER_RESCUE, MEDIATION = "traffic", "elderly-care", "water-rescue", "mediation"

SKILLS = [
    (FIRST_AID, "急救", "First aid", "CPR, bleeding control, AED"),
    (ELECTRICIAN, "电工", "Electrician", "Licensed electrician: wiring, overloads, breakers"),
    (GAS_SAFETY, "燃气安全", "Gas safety", "Gas bottles, hoses, valves, leak checks"),
    (FIRE_SAFETY, "消防", "Fire safety", "Extinguishers, fire passages, evacuation"),
    (TRAFFIC, "交通疏导", "Traffic control", "Directing traffic and keeping passages clear"),
    (ELDERLY_CARE, "助老", "Elderly care", "Visits and help for elderly residents"),
    (WATER_RESCUE, "水上救援", "Water rescue", "Lakes and canals of Fenhu"),
    (MEDIATION, "纠纷调解", "Mediation", "Neighbourhood disputes"),
]

# username -> profile. Positions lie inside the demo grids (community strips of 0.02° longitude).
DEMO_VOLUNTEERS = {
    "vol1": {
        "real_name": "陈一",
        "community": 0,
        "leader": True,
        "position": (30.9062, 120.8061),
        "skills": {GAS_SAFETY: 400, FIRST_AID: None},
    },
    "vol2": {
        "real_name": "张二",
        "community": 0,
        "position": (30.9031, 120.8042),
        "skills": {ELECTRICIAN: 250, FIRE_SAFETY: None},
    },
    "vol3": {
        "real_name": "孙三",
        "community": 0,
        "position": (30.9125, 120.8128),
        "skills": {FIRST_AID: None, ELDERLY_CARE: None},
    },
    "vol4": {
        "real_name": "吴四",
        "community": 1,
        "leader": True,
        "position": (30.9150, 120.8250),
        "skills": {GAS_SAFETY: 180, TRAFFIC: None},
    },
    "vol5": {
        "real_name": "郑五",
        "community": 2,
        "position": (30.9260, 120.8450),
        "skills": {ELECTRICIAN: 300, WATER_RESCUE: None},
    },
}

DEMO_APPLICANTS = {
    "applicant1": {"real_name": "王小明", "phone": "13500000001", "community": 0, "skills": {FIRST_AID: None}},
    "applicant2": {"real_name": "李芳", "phone": "13500000002", "community": 1, "skills": {ELDERLY_CARE: None}},
}

# Weekday evenings and Saturday mornings: a typical volunteer's week.
DEMO_AVAILABILITY = [clean.Slot(d, dt.time(18), dt.time(21)) for d in range(1, 6)] + [
    clean.Slot(6, dt.time(9), dt.time(12))
]


def team_name(community_name: str) -> str:
    return f"{community_name.removesuffix('社区')}蓝盾志愿队"


def _claims(skills: dict) -> list[clean.SkillClaim]:
    today = timezone.localdate()
    return [clean.SkillClaim(slug, today + dt.timedelta(days=d) if d else None) for slug, d in skills.items()]


# Licensed trades: a claim counts for dispatch only with a certificate photo a dispatcher has seen.
LICENSED = {ELECTRICIAN, GAS_SAFETY}


def seed_skills() -> dict[str, Skill]:
    result = {}
    for slug, name, name_en, description in SKILLS:
        skill, _created = Skill.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "name_en": name_en, "description": description, "licensed": slug in LICENSED},
        )
        result[slug] = skill
    return result


def demo_certificate(text: str) -> SimpleUploadedFile:
    """A made-up certificate as a phone would photograph it (a JPEG upload)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), "#f4efe1")
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 467, 307), outline="#8a1c1c", width=6)
    draw.text((40, 140), f"DEMO CERTIFICATE  {text}", fill="#222222")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(f"{text}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _shared_certificate() -> str:
    """One certificate photo, through the media pipeline, for all the scale volunteers' licensed skills."""
    processed = process_upload(demo_certificate("scale"), limits=conf.certificate_photo_limits(), field="photo")
    return PhotoWriter("certificates").write(processed)["large"]


def _attach_certificates(user: User, volunteer: Volunteer) -> None:
    for link in VolunteerSkill.objects.filter(volunteer=volunteer, skill__licensed=True, certificate_photo=""):
        certificates.volunteer_certificate_attach(
            actor=user, skill_slug=link.skill.slug, photo=demo_certificate(f"{user.username}-{link.skill.slug}")
        )


def seed_teams(ctx: DemoContext) -> list[Team]:
    teams = []
    for community in ctx.communities:
        team = Team.objects.filter(community=community, name=team_name(community.name)).first()
        if team is None:
            team = services.team_create(
                community_id=community.pk, name=team_name(community.name), description="社区蓝盾志愿服务队"
            )
        teams.append(team)
    return teams


def _applicant_user(username: str, phone: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password=DEMO_PASSWORD, phone=phone)
        user.groups.add(Group.objects.get(name=RESIDENT))
    return user


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    seed_skills()
    teams = seed_teams(ctx)
    approver = ctx.users["admin"]
    for username, spec in DEMO_VOLUNTEERS.items():
        user = ctx.users[username]
        volunteer = Volunteer.objects.filter(user=user).first()
        community = ctx.communities[spec["community"]]
        team = teams[spec["community"]]
        if volunteer is None:
            volunteer = services.volunteer_apply(
                actor=user,
                real_name=spec["real_name"],
                phone=user.phone,
                community_id=community.pk,
                team_id=team.pk,
                skills=_claims(spec["skills"]),
                availability=DEMO_AVAILABILITY,
            )
        if volunteer.status == VolunteerStatus.PENDING:
            _attach_certificates(user, volunteer)
            services.volunteer_approve(volunteer_id=volunteer.pk, actor=approver, reason="演示数据")
        elif volunteer.status == VolunteerStatus.SUSPENDED:
            services.volunteer_reinstate(volunteer_id=volunteer.pk, actor=approver, reason="演示数据")
        if spec.get("leader") and not Volunteer.objects.get(pk=volunteer.pk).is_team_leader:
            services.team_leader_set(volunteer_id=volunteer.pk, is_leader=True, actor=approver)
        # Fresh positions on every seed, so the demo's dispatch finds them.
        lat, lng = spec["position"]
        duty.volunteer_duty_set(actor=user, on_duty=True, latitude=lat, longitude=lng)
    for index, (username, spec) in enumerate(DEMO_APPLICANTS.items()):
        user = _applicant_user(username, spec["phone"])
        if not Volunteer.objects.filter(user=user).exists():
            services.volunteer_apply(
                actor=user,
                real_name=spec["real_name"],
                phone=spec["phone"],
                community_id=ctx.communities[spec["community"]].pk,
                team_id=teams[spec["community"]].pk,
                skills=_claims(spec["skills"]),
                availability=DEMO_AVAILABILITY[index::2],
            )
    _seed_service(ctx)
    ctx.log(
        f"volunteers: {len(SKILLS)} skills, {len(teams)} teams, vol1..vol5 on duty, "
        f"{len(DEMO_APPLICANTS)} applications waiting"
    )


def _seed_service(ctx: DemoContext) -> None:
    today = timezone.localdate()
    for i, username in enumerate(DEMO_VOLUNTEERS):
        user = ctx.users[username]
        for k in range(2):
            service_records.service_record_create(
                volunteer_user_id=user.pk,
                minutes=30 + 15 * ((i + k) % 4),
                source_ref=f"demo:{username}:{k}",
                note="社区安全巡查",
                served_on=today - dt.timedelta(days=3 + 7 * k),
                source=ServiceRecordSource.IMPORT,
            )
    vol2 = ctx.users["vol2"]
    if not ServiceRecord.objects.filter(volunteer__user=vol2, source=ServiceRecordSource.MANUAL).exists():
        service_records.service_record_submit(
            actor=vol2, minutes=90, served_on=today - dt.timedelta(days=1), note="协助老旧小区电线排查"
        )


def seed_scale(ctx: DemoContext, n: int, progress_bar) -> None:
    """Up to `n` extra approved, on-duty volunteers (`scale-vol-000001`...) spread over the demo
    area with one or two skills each: bulk inserts in batches, one password hash for all."""
    prefix = "scale-vol-"
    existing = User.objects.filter(username__startswith=prefix).count()
    todo = max(0, n - existing)
    bar = progress_bar("volunteers", todo)
    if todo == 0:
        bar(0)
        return
    rng = random.Random(20260601 + existing)
    min_lat, min_lng, max_lat, max_lng = demo_bounds()
    skills = list(Skill.objects.order_by("id"))
    groups = [Group.objects.get(name=RESIDENT), Group.objects.get(name=VOLUNTEER)]
    teams = {t.community_id: t for t in Team.objects.filter(community__in=ctx.communities)}
    password = make_password(DEMO_PASSWORD)
    certificate = _shared_certificate() if any(skill.licensed for skill in skills) else ""
    now = timezone.now()
    strip = (max_lng - min_lng) / max(len(ctx.communities), 1)
    batch = 1000
    done = 0
    for start in range(existing, existing + todo, batch):
        stop = min(start + batch, existing + todo)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(username=f"{prefix}{i:06d}", password=password, phone=f"157{i:08d}", display_name=f"志愿者{i}")
                    for i in range(start, stop)
                ]
            )
            if users[0].pk is None:  # backends that do not return ids from bulk inserts
                users = list(User.objects.filter(username__in=[u.username for u in users]).order_by("id"))
            through = User.groups.through
            through.objects.bulk_create([through(user_id=u.pk, group_id=g.pk) for u in users for g in groups])
            volunteers = []
            for i, user in zip(range(start, stop), users, strict=True):
                lat, lng = rng.uniform(min_lat, max_lat), rng.uniform(min_lng, max_lng)
                community = ctx.communities[min(int((lng - min_lng) / strip), len(ctx.communities) - 1)]
                volunteers.append(
                    Volunteer(
                        user=user,
                        real_name=f"志愿者{i}",
                        phone=f"157{i:08d}",
                        community=community,
                        team=teams.get(community.pk),
                        status=VolunteerStatus.APPROVED,
                        status_changed_at=now,
                        applied_at=now,
                        on_duty=True,
                        duty_changed_at=now,
                        latitude=lat,
                        longitude=lng,
                        position_updated_at=now - dt.timedelta(seconds=rng.randint(0, 300)),
                    )
                )
            volunteers = Volunteer.objects.bulk_create(volunteers)
            if volunteers[0].pk is None:
                volunteers = list(Volunteer.objects.filter(user__in=users).order_by("id"))
            VolunteerStatusChange.objects.bulk_create(
                [
                    VolunteerStatusChange(
                        volunteer=v,
                        from_status="",
                        to_status=VolunteerStatus.APPROVED,
                        reason="seed_demo --scale",
                        created_at=now,
                    )
                    for v in volunteers
                ]
            )
            if skills:
                VolunteerSkill.objects.bulk_create(
                    [
                        VolunteerSkill(
                            volunteer=v,
                            skill=skill,
                            reviewed_at=now,
                            certificate_photo=certificate if skill.licensed else "",
                        )
                        for v in volunteers
                        for skill in rng.sample(skills, k=min(len(skills), 1 + rng.randint(0, 1)))
                    ]
                )
        done += stop - start
        bar(done)
