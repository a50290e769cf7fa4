"""Serializers of the volunteers API: input shapes, and one output shape per visibility level.

Which output a viewer gets is decided by `selectors.visibility` (dispatcher / owner / member), never
by the serializer itself: phones are masked below the owner level and coordinates appear only at
the dispatcher level.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from govern.api import RefSerializer
from govern.models import mainland_mobile_validator
from volunteers import clean
from volunteers.models import ServiceRecord, Skill, VolunteerStatus
from volunteers.selectors import Visibility

# --- input -------------------------------------------------------------------------------------


class SkillClaimInputSerializer(serializers.Serializer):
    skill = serializers.SlugField(help_text="Skill slug, see GET /api/v1/volunteers/skills/")
    certified_until = serializers.DateField(required=False, allow_null=True, help_text="Certificate expiry (optional)")
    certificate_no = serializers.CharField(required=False, allow_blank=True, max_length=60)


# "HH:MM" is not an OpenAPI `time` (RFC 3339 wants seconds and an offset): say what is really sent.
@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "example": "08:30"})
class HourMinuteField(serializers.TimeField):
    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class SlotSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text="1 = Monday ... 7 = Sunday")
    start = HourMinuteField()
    end = HourMinuteField()


def claims_from(data) -> list[clean.SkillClaim]:
    return [clean.SkillClaim(d["skill"], d.get("certified_until"), d.get("certificate_no", "")) for d in data]


def slots_from(data) -> list[clean.Slot]:
    return [clean.Slot(d["weekday"], d["start"], d["end"]) for d in data]


class ProfileInputSerializer(serializers.Serializer):
    real_name = serializers.CharField(max_length=40)
    phone = serializers.CharField(max_length=11, validators=[mainland_mobile_validator])
    community = serializers.IntegerField(min_value=1, help_text="Community id")
    team = serializers.IntegerField(min_value=1, required=False, allow_null=True, help_text="Team id (optional)")
    skills = serializers.ListField(child=SkillClaimInputSerializer(), required=False, max_length=clean.MAX_SKILLS)
    availability = serializers.ListField(child=SlotSerializer(), required=False, max_length=clean.MAX_SLOTS)


class ApplyInputSerializer(ProfileInputSerializer):
    username = serializers.CharField(
        required=False, max_length=150, help_text="Visitors only: the account to create (logged-in users omit it)"
    )
    password = serializers.CharField(required=False, write_only=True, style={"input_type": "password"})


class ProfilePatchSerializer(ProfileInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class DutyInputSerializer(serializers.Serializer):
    on_duty = serializers.BooleanField()
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=clean.MAX_REASON)


class RequiredReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=clean.MAX_REASON)


class ServiceRecordInputSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=1440)
    served_on = serializers.DateField()
    note = serializers.CharField(max_length=500)


# --- output ------------------------------------------------------------------------------------


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "slug", "name", "name_en", "description", "licensed"]


class CertificatePhotoInputSerializer(serializers.Serializer):
    skill = serializers.SlugField(help_text="Slug of a skill on the caller's profile")
    # A FileField, not an ImageField: the media pipeline checks the photo before anything decodes it.
    photo = serializers.FileField(required=False, help_text="One photo of the certificate (JPEG, PNG, WebP...)")


class HeldSkillSerializer(serializers.Serializer):
    slug = serializers.CharField(source="skill.slug")
    name = serializers.CharField(source="skill.label")
    certified_until = serializers.DateField(allow_null=True)
    licensed = serializers.BooleanField(
        source="skill.licensed", help_text="A certificate photo is needed before the skill counts for dispatch"
    )
    certificate_photo = serializers.SerializerMethodField(help_text="A certificate photo has been added")
    valid = serializers.SerializerMethodField()
    reviewed = serializers.SerializerMethodField(
        help_text="A dispatcher has reviewed the claim; dispatch counts it only then"
    )

    def get_valid(self, link) -> bool:
        return link.valid_on(timezone.localdate())

    def get_reviewed(self, link) -> bool:
        return link.reviewed_at is not None

    def get_certificate_photo(self, link) -> bool:
        return bool(link.certificate_photo)


class StatusChangeSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    status = serializers.CharField(source="to_status")
    reason = serializers.CharField()
    actor = serializers.SerializerMethodField()
    at = serializers.DateTimeField(source="created_at")

    def get_actor(self, change) -> str | None:
        return (change.actor.display_name or change.actor.username) if change.actor_id else None


def availability_data(volunteer) -> list[dict]:
    return [
        {"weekday": s.weekday, "start": s.start_time.strftime("%H:%M"), "end": s.end_time.strftime("%H:%M")}
        for s in volunteer.availability.all()
    ]


class VolunteerMemberSerializer(serializers.Serializer):
    """What a teammate sees: no full phone, no position."""

    id = serializers.IntegerField()
    real_name = serializers.CharField()
    phone = serializers.CharField(source="masked_phone", help_text="Masked (138****1234) below the owner level")
    community = RefSerializer()
    team = RefSerializer(allow_null=True)
    is_team_leader = serializers.BooleanField()
    status = serializers.ChoiceField(choices=VolunteerStatus.choices)
    skills = HeldSkillSerializer(source="skill_links", many=True)
    on_duty = serializers.BooleanField()
    service_minutes = serializers.IntegerField()


class VolunteerOwnerSerializer(VolunteerMemberSerializer):
    """The owner's own profile: full phone, availability, decisions; coordinates are not echoed."""

    phone = serializers.CharField()
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    availability = serializers.SerializerMethodField()
    status_reason = serializers.CharField()
    status_changed_at = serializers.DateTimeField()
    applied_at = serializers.DateTimeField()
    max_active_tasks = serializers.IntegerField()
    duty_changed_at = serializers.DateTimeField(allow_null=True)
    position_updated_at = serializers.DateTimeField(allow_null=True)
    position_fresh = serializers.SerializerMethodField()

    def get_position_fresh(self, volunteer) -> bool:
        return volunteer.position_fresh()

    @extend_schema_field(SlotSerializer(many=True))
    def get_availability(self, volunteer) -> list:
        return availability_data(volunteer)


class VolunteerOwnerDetailSerializer(VolunteerOwnerSerializer):
    history = StatusChangeSerializer(source="status_changes.all", many=True)


class VolunteerDispatcherListSerializer(VolunteerOwnerSerializer):
    """Dispatchers see positions (and, for `near=` queries, the distance)."""

    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    distance_m = serializers.SerializerMethodField()

    def get_distance_m(self, volunteer) -> float | None:
        value = getattr(volunteer, "distance_m", None)
        return round(value, 1) if value is not None else None


class VolunteerDispatcherSerializer(VolunteerDispatcherListSerializer):
    history = StatusChangeSerializer(source="status_changes.all", many=True)


DETAIL_SERIALIZERS = {
    Visibility.DISPATCHER: VolunteerDispatcherSerializer,
    Visibility.OWNER: VolunteerOwnerDetailSerializer,
    Visibility.MEMBER: VolunteerMemberSerializer,
}


def detail_serializer_for(level: Visibility):
    return DETAIL_SERIALIZERS[level]


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    community = RefSerializer()
    member_count = serializers.IntegerField()
    service_minutes = serializers.IntegerField(help_text="Approved service minutes recorded in this team")


class TeamDetailSerializer(TeamSerializer):
    leaders = serializers.SerializerMethodField()

    @extend_schema_field(RefSerializer(many=True))
    def get_leaders(self, team) -> list:
        return [{"id": v.pk, "name": v.real_name} for v in self.context["leaders"]]


class ServiceRecordSerializer(serializers.ModelSerializer):
    volunteer = serializers.SerializerMethodField()
    team = RefSerializer(allow_null=True)
    reviewed_by = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRecord
        fields = [
            "id",
            "volunteer",
            "team",
            "minutes",
            "source",
            "source_ref",
            "served_on",
            "note",
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
            "created_at",
        ]

    @extend_schema_field(RefSerializer)
    def get_volunteer(self, record) -> dict:
        return {"id": record.volunteer_id, "name": record.volunteer.real_name}

    def get_reviewed_by(self, record) -> str | None:
        return (record.reviewed_by.display_name or record.reviewed_by.username) if record.reviewed_by_id else None
