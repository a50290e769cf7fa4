"""Serializers of the inspection campaigns API: what each endpoint reads and answers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from govern.api import RefSerializer, UserRefSerializer
from govern.roles import is_dispatcher
from hazards.core.serializers import MEDIA_URL_FIELD, media_url
from hazards.models import Severity
from hazards.premises.campaigns import clean, selectors
from hazards.premises.models import Campaign, CampaignPremises, Inspection, InspectionResult, Outcome


def _user(user) -> dict | None:
    return {"id": user.pk, "display_name": user.display_name or user.username} if user is not None else None


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="premises_total")
    assigned = serializers.IntegerField(source="premises_assigned")
    in_progress = serializers.IntegerField(source="premises_started")
    done = serializers.IntegerField(source="premises_done")
    findings = serializers.IntegerField()
    percent = serializers.IntegerField(source="done_percent", help_text="done / total, rounded")


class SelectionSerializer(serializers.Serializer):
    grids = serializers.ListField(child=serializers.IntegerField())
    streets = serializers.ListField(child=serializers.CharField())
    types = serializers.ListField(child=serializers.CharField())


class CampaignSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    selection = SelectionSerializer()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "description",
            "starts_on",
            "ends_on",
            "status",
            "selection",
            "created_by",
            "progress",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(UserRefSerializer)
    def get_created_by(self, campaign) -> dict:
        return _user(campaign.created_by)

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, campaign) -> dict:
        return ProgressSerializer(campaign).data


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=clean.NAME_MAX)
    description = serializers.CharField(max_length=clean.DESCRIPTION_MAX, required=False, allow_blank=True, default="")
    starts_on = serializers.DateField(required=False, allow_null=True, help_text="default: today")
    ends_on = serializers.DateField(required=False, allow_null=True, help_text="default: 30 days after starts_on")
    grids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=clean.PK_MAX),
        required=False,
        default=list,
        max_length=clean.SELECTION_MAX,
        help_text="grid ids (any of them)",
    )
    streets = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        default=list,
        max_length=clean.SELECTION_MAX,
        help_text="street names, exactly as registered",
    )
    types = serializers.ListField(
        child=serializers.SlugField(max_length=40),
        required=False,
        default=list,
        max_length=clean.SELECTION_MAX,
        help_text="premises type slugs (restaurant, shop…)",
    )


class AssignSerializer(serializers.Serializer):
    inspector = serializers.IntegerField(
        min_value=1,
        max_value=clean.PK_MAX,
        help_text="user id: a grid worker (premises in their grids) or an approved volunteer",
    )
    premises = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=clean.PK_MAX),
        min_length=1,
        max_length=clean.SELECTION_MAX,
        help_text="premises ids in this campaign",
    )


class UnassignSerializer(serializers.Serializer):
    premises = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=clean.PK_MAX),
        min_length=1,
        max_length=clean.SELECTION_MAX,
        help_text="premises ids in this campaign",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=clean.NOTE_MAX,
        default="",
        help_text="why (ill, left…): sent to the former inspector and logged",
    )
    discard_started = serializers.BooleanField(
        required=False,
        default=False,
        help_text="also take back premises whose inspection was started (not submitted), deleting the unfinished "
        "checklist; without it such premises are a 409 (code in_progress)",
    )


class PremisesRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    street = serializers.CharField()
    type = serializers.CharField(source="type.slug")
    type_name = serializers.CharField(source="type.name")
    grid = RefSerializer()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class EntrySerializer(serializers.ModelSerializer):
    campaign = RefSerializer()
    premises = PremisesRefSerializer()
    inspector = serializers.SerializerMethodField()
    inspection = serializers.SerializerMethodField()
    taken_back_by = serializers.SerializerMethodField()

    class Meta:
        model = CampaignPremises
        fields = [
            "id",
            "campaign",
            "premises",
            "inspector",
            "status",
            "findings",
            "assigned_at",
            "done_at",
            "inspection",
            "taken_back_at",
            "taken_back_by",
            "taken_back_reason",
        ]
        extra_kwargs = {
            "taken_back_at": {
                "help_text": "When the office last took it back from an inspector (null: never). "
                "Dispatchers only: null for an inspector, whose entry may have been someone else's."
            },
            "taken_back_reason": {
                "help_text": "The reason the office gave then (may be empty; may concern the former "
                "inspector). Dispatchers only: empty for an inspector."
            },
        }

    def to_representation(self, entry):
        data = super().to_representation(entry)
        request = self.context.get("request")
        if request is None or not is_dispatcher(request.user):
            data.update(taken_back_at=None, taken_back_by=None, taken_back_reason="")
        return data

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_inspector(self, entry) -> dict | None:
        return _user(entry.inspector)

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_taken_back_by(self, entry) -> dict | None:
        return _user(entry.taken_back_by)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_inspection(self, entry) -> int | None:
        try:
            return entry.inspection.pk  # select_related: no query
        except Inspection.DoesNotExist:
            return None


class HazardRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    category_name = serializers.CharField(source="category.name")
    severity = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    text = serializers.CharField()
    text_en = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    severity = serializers.ChoiceField(choices=Severity.choices)
    photo_required = serializers.BooleanField(help_text="a failure must come with a photo")


class ResultSerializer(serializers.ModelSerializer):
    photo = serializers.SerializerMethodField()
    thumb = serializers.SerializerMethodField()
    hazard = HazardRefSerializer(allow_null=True)

    class Meta:
        model = InspectionResult
        fields = ["outcome", "note", "photo", "thumb", "hazard", "recorded_at"]

    @extend_schema_field(MEDIA_URL_FIELD)
    def get_photo(self, result) -> str | None:
        return media_url(result.photo)

    @extend_schema_field(MEDIA_URL_FIELD)
    def get_thumb(self, result) -> str | None:
        return media_url(result.photo_thumb)


class LineSerializer(serializers.Serializer):
    item = ItemSerializer()
    result = ResultSerializer(allow_null=True)


class ChecklistRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class InspectionSerializer(serializers.ModelSerializer):
    entry = serializers.IntegerField(source="entry_id")
    campaign = RefSerializer(source="entry.campaign")
    premises = PremisesRefSerializer(source="entry.premises")
    inspector = serializers.SerializerMethodField()
    checklist = ChecklistRefSerializer()
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "entry",
            "campaign",
            "premises",
            "inspector",
            "checklist",
            "started_at",
            "submitted_at",
            "lines",
        ]

    @extend_schema_field(UserRefSerializer)
    def get_inspector(self, inspection) -> dict:
        return _user(inspection.inspector)

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, inspection) -> list:
        return LineSerializer(selectors.inspection_lines(inspection), many=True).data


class StartSerializer(serializers.Serializer):
    entry = serializers.IntegerField(
        min_value=1, max_value=clean.PK_MAX, help_text="the campaign premises id (from /inspections/mine/)"
    )


class RecordSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=clean.PK_MAX, help_text="checklist item id")
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=clean.NOTE_MAX, default="")
    photo = serializers.FileField(
        required=False,
        allow_empty_file=True,
        use_url=False,
        help_text="for a failure: one photo (JPEG, PNG, WebP, HEIC/HEIF)",
    )


class SubmittedSerializer(serializers.Serializer):
    inspection = InspectionSerializer()
    hazards = HazardRefSerializer(many=True)
    replayed = serializers.BooleanField(help_text="true when it had been submitted before (nothing new was written)")


class FindingSerializer(serializers.Serializer):
    hazard = HazardRefSerializer()
    item = ItemSerializer()
    premises = RefSerializer(source="inspection.entry.premises")
    inspector = serializers.SerializerMethodField()
    note = serializers.CharField()
    thumb = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(source="inspection.submitted_at")

    @extend_schema_field(UserRefSerializer)
    def get_inspector(self, result) -> dict:
        return _user(result.inspection.inspector)

    @extend_schema_field(MEDIA_URL_FIELD)
    def get_thumb(self, result) -> str | None:
        return media_url(result.photo_thumb)
