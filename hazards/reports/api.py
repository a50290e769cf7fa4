"""REST API of hazard reports: thin views over hazards.reports.services and .selectors.

POST /api/v1/hazards/                 report (multipart; anonymous allowed, throttled)
GET  /api/v1/hazards/                 list (dispatchers all, grid workers their grids, others their own)
GET  /api/v1/hazards.geojson          the same list as a GeoJSON FeatureCollection
GET  /api/v1/hazards/{id}/            detail with timeline, photos, auto-triage suggestions
GET  /api/v1/track/{tracking_code}/   public status: no identity, coarse location; the fix and its feedback
GET  /api/v1/categories/              the hazard categories

Triage, reopen and close are hazards.triage.api; dispatch and tasks hazards.dispatch.api.
"""

from __future__ import annotations

from django.core.exceptions import TooManyFilesSent
from django.http import JsonResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import ErrorSerializer, PointSerializer, RefSerializer, UserRefSerializer, error_responses
from govern.errors import InvalidInput
from govern.media.checks import too_many_files_sentence
from govern.pagination import CappedCountPagination
from govern.parsers import JSONParser
from hazards import conf
from hazards.core import policy
from hazards.core.clean import DESCRIPTION_MAX
from hazards.core.events import hazard_fields
from hazards.core.serializers import CategoryRefSerializer, PhotoSerializer, category_ref
from hazards.models import Category, Hazard, Source
from hazards.reports import hints, selectors, services
from hazards.reports.feedback_api import FeedbackSerializer, FixSerializer
from hazards.reports.filters import HazardFilter
from hazards.reports.fix import feedback_of, fix_of
from hazards.reports.ownership import remember_filed
from hazards.reports.premises_hint import premises_hint
from hazards.reports.throttles import ANON_REPORT_SCOPE, AnonReportThrottle, CodeLookupThrottle, UserReportThrottle

# A hazard named in another's answer: a duplicate, the original it was merged into, a similar report.
LINK_FIELDS = ("id", "tracking_code", "status")


def coarse(value: float) -> float:
    return round(value, conf.public_coordinate_decimals())


# --- serializers -----------------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    required_skill = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    # A plain string in the schema: the severity enum is named once, after `severity`.
    default_severity = serializers.CharField(read_only=True, help_text="low, medium, high or critical")

    class Meta:
        model = Category
        fields = [
            "slug",
            "name",
            "name_en",
            "description",
            "icon",
            "default_severity",
            "required_skill",
            "sla_accept_minutes",
            "sla_rectify_minutes",
        ]


class HazardLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.CharField()


class DuplicateHintSerializer(serializers.Serializer):
    """Another open report nearby (hazards.reports.hints): its code and id only for dispatchers and
    whoever may open it; for everyone else null, and the distance rounded to 10 m."""

    id = serializers.IntegerField(allow_null=True)
    tracking_code = serializers.CharField(allow_null=True)
    category = serializers.CharField(help_text="category slug")
    status = serializers.CharField()
    distance_m = serializers.FloatField(help_text="metres; rounded to 10 m unless you may open that report")
    created_at = serializers.DateTimeField()


class HazardCreateSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="category slug (GET /api/v1/categories/)")
    description = serializers.CharField(max_length=DESCRIPTION_MAX, allow_blank=True, trim_whitespace=True)
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    contact_consent = serializers.BooleanField(
        required=False, default=False, help_text="the volunteer who fixes it may call the reporter too"
    )
    sms_updates = serializers.BooleanField(
        required=False,
        default=False,
        help_text="anonymous reports only: the report's status changes go by SMS to contact_phone (a mainland "
        "mobile number, required then); ignored when signed in (notification preferences apply)",
    )
    premises = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**53,
        help_text="the registered premises the report is about (GET /api/v1/premises/nearby/): a hint for the "
        "dispatcher or grid worker, who decides whether to link it",
    )
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        help_text="1–6 photos (JPEG, PNG, WebP, HEIC/HEIF; each ≤ 15 MB and ≤ 50 megapixels); repeat the field",
    )


def _ref(obj) -> dict | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


class HazardSerializer(serializers.ModelSerializer):
    category = serializers.SerializerMethodField()
    grid = serializers.SerializerMethodField()
    community = serializers.SerializerMethodField()
    reporter = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    duplicate_of = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)
    distance_m = serializers.SerializerMethodField()

    class Meta:
        model = Hazard
        fields = [
            "id",
            "tracking_code",
            "category",
            "description",
            "severity",
            "status",
            "status_note",
            "latitude",
            "longitude",
            "address",
            "grid",
            "community",
            "reporter",
            "contact_phone",
            "duplicate_of",
            "source",
            "photos",
            "created_at",
            "updated_at",
            "status_changed_at",
            "distance_m",
        ]

    @extend_schema_field(CategoryRefSerializer)
    def get_category(self, hazard) -> dict:
        return category_ref(hazard.category)

    @extend_schema_field(RefSerializer)
    def get_grid(self, hazard) -> dict | None:
        return _ref(hazard.grid)

    @extend_schema_field(RefSerializer)
    def get_community(self, hazard) -> dict | None:
        return _ref(hazard.community)

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_reporter(self, hazard) -> dict | None:
        user = hazard.reporter
        if user is None:
            return None
        return {"id": user.pk, "display_name": user.display_name or user.username}

    @extend_schema_field(OpenApiTypes.STR)
    def get_contact_phone(self, hazard) -> str:
        viewer = self.context["request"].user
        return hazard.contact_phone if policy.can_see_contact(viewer, hazard) else ""

    @extend_schema_field(HazardLinkSerializer(allow_null=True))
    def get_duplicate_of(self, hazard) -> dict | None:
        original = hazard.duplicate_of
        if original is None:
            return None
        return hazard_fields(original, LINK_FIELDS)

    @extend_schema_field(serializers.FloatField(allow_null=True, help_text="metres from `near`, when given"))
    def get_distance_m(self, hazard) -> float | None:
        d2 = getattr(hazard, "distance_sq", None)
        return round(d2**0.5, 1) if d2 is not None else None


class EventSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField()

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_actor(self, event) -> dict | None:
        if event.actor is None:
            return None
        return {"id": event.actor.pk, "display_name": event.actor.display_name or event.actor.username}


class SuggestionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    rule = serializers.CharField(source="rule_name")
    matched = serializers.CharField()
    suggested_category = serializers.SerializerMethodField()
    suggested_severity = serializers.CharField()
    similar_hazard = serializers.SerializerMethodField()
    distance = serializers.SerializerMethodField()
    applied = serializers.BooleanField()

    @extend_schema_field(CategoryRefSerializer(allow_null=True))
    def get_suggested_category(self, suggestion) -> dict | None:
        return category_ref(suggestion.suggested_category) if suggestion.suggested_category else None

    @extend_schema_field(HazardLinkSerializer(allow_null=True))
    def get_similar_hazard(self, suggestion) -> dict | None:
        other = suggestion.similar_hazard
        if other is None or not hints.sees_others(self._viewer(), other):
            return None  # another person's report: not its code (hazards.reports.hints)
        return hazard_fields(other, LINK_FIELDS)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance(self, suggestion) -> float | None:
        other = suggestion.similar_hazard
        if suggestion.kind == "nearby" and other is not None and not hints.sees_others(self._viewer(), other):
            return hints.rough_m(suggestion.distance)  # metres (a photo's distance is a hash distance)
        return suggestion.distance

    def _viewer(self):
        request = self.context.get("request")
        return getattr(request, "user", None)


class HazardDetailSerializer(HazardSerializer):
    events = EventSerializer(many=True, read_only=True)
    suggestions = SuggestionSerializer(many=True, read_only=True)
    duplicates = serializers.SerializerMethodField()

    class Meta(HazardSerializer.Meta):
        fields = [*HazardSerializer.Meta.fields, "source_client", "events", "suggestions", "duplicates"]

    @extend_schema_field(HazardLinkSerializer(many=True))
    def get_duplicates(self, hazard) -> list[dict]:
        return [hazard_fields(d, LINK_FIELDS) for d in hazard.duplicates.all()]


class HazardCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    severity = serializers.CharField()
    category = serializers.CharField()
    grid = serializers.IntegerField()
    community = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    tracking_url = serializers.CharField()
    photos = PhotoSerializer(many=True)
    duplicates = DuplicateHintSerializer(
        many=True, help_text="open reports of the same category within 50 m, last 72 h"
    )


class PublicEventSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class TrackSerializer(serializers.Serializer):
    """The public face of a report: what, where (≈100 m), how far along. Never who."""

    tracking_code = serializers.CharField()
    category = serializers.SerializerMethodField()
    severity = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    status_note = serializers.CharField()
    created_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField()
    location = serializers.SerializerMethodField()
    grid = serializers.CharField(source="grid.name")
    community = serializers.CharField(source="community.name")
    timeline = PublicEventSerializer(source="events", many=True)
    photos = PhotoSerializer(many=True)
    duplicate_of = serializers.SerializerMethodField()
    fix = serializers.SerializerMethodField()
    feedback = serializers.SerializerMethodField()

    @extend_schema_field(CategoryRefSerializer)
    def get_category(self, hazard) -> dict:
        return category_ref(hazard.category)

    @extend_schema_field(FixSerializer(allow_null=True))
    def get_fix(self, hazard) -> dict | None:
        found = fix_of(hazard)
        return FixSerializer(found).data if found is not None else None

    @extend_schema_field(FeedbackSerializer(allow_null=True))
    def get_feedback(self, hazard) -> dict | None:
        found = feedback_of(hazard)
        return FeedbackSerializer(found).data if found is not None else None

    @extend_schema_field(PointSerializer)
    def get_location(self, hazard) -> dict:
        return {"latitude": coarse(hazard.latitude), "longitude": coarse(hazard.longitude)}

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_duplicate_of(self, hazard) -> dict | None:
        original = hazard.duplicate_of
        if original is None:
            return None
        return {
            "tracking_code": original.tracking_code,
            "status": original.status,
            "status_label": original.get_status_display(),
            "status_note": original.status_note,
            "status_changed_at": original.status_changed_at,
        }


def hazard_errors(*codes: int) -> dict:
    return error_responses(
        *codes, e404="No such hazard (or not visible to you)", e409="Illegal transition; `detail` says why"
    )


# --- views -------------------------------------------------------------------------------------------


class CategoryListView(generics.ListAPIView):
    """The hazard categories (Open311 services): names in Chinese and English, severity, SLA."""

    serializer_class = CategorySerializer
    permission_classes = [AllowAny]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.category_list()


def created_body(outcome: services.ReportOutcome, *, viewer) -> dict:
    hazard = outcome.hazard
    return {
        "id": hazard.pk,
        "tracking_code": hazard.tracking_code,
        "status": hazard.status,
        "severity": hazard.severity,
        "category": hazard.category.slug,
        "grid": hazard.grid_id,
        "community": hazard.community_id,
        "created_at": hazard.created_at,
        "tracking_url": f"/track/{hazard.tracking_code}/",
        "photos": outcome.photos,
        "duplicates": hints.duplicate_hints(outcome.duplicates, viewer=viewer, category_slug=hazard.category.slug),
    }


class HazardPagination(CappedCountPagination):
    def get_count_cap(self) -> int:
        return conf.list_count_cap()


class HazardListCreateView(generics.ListAPIView):
    """Hazard reports: list the ones you may see (filtered), or file a new one."""

    pagination_class = HazardPagination

    serializer_class = HazardSerializer
    filterset_class = HazardFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_scope = ANON_REPORT_SCOPE

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self):
        return [AnonReportThrottle(), UserReportThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        return selectors.hazard_list(user=self.request.user)

    @extend_schema(
        summary="List hazards",
        description=(
            "Dispatchers see every hazard, grid workers the hazards of their grids, everyone else their own reports. "
            "`count` is exact up to HAZARD_LIST_COUNT_CAP (1,000) matches; beyond that it is the cap and "
            "`count_exact` is false. `next`/`previous` work on every page either way."
        ),
        responses={200: HazardSerializer(many=True), **hazard_errors(400, 401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Report a hazard",
        description=(
            "Multipart form: `category` (slug), `description` (≤ 2000), `latitude`, `longitude`, optional `address` "
            "and `contact_phone`, and 1–6 `photos` (repeat the field). The point must lie in a grid. Anonymous "
            "reports are allowed and throttled per client, signed-in ones per user (429 with Retry-After). Any refused photo refuses the "
            "whole report (400 naming the photo and the reason) and nothing is stored. Photos are checked in the "
            "request without decoding (size, type, header, pixel count, animation, container structure) and "
            "re-encoded after the report is filed: in the answer their `status` is usually `processing` with null "
            "URLs; the live event `hazard.photos_ready` (and the detail endpoint) then give the renditions, or "
            "`failed` with the reason for a photo only the full decode could refuse."
        ),
        request={"multipart/form-data": HazardCreateSerializer},
        responses={
            201: HazardCreatedSerializer,
            **hazard_errors(400),
            429: OpenApiResponse(ErrorSerializer, description="Too many reports; see Retry-After"),
        },
    )
    def post(self, request):
        try:
            payload, photos = request.data, request.FILES.getlist("photos")
        except TooManyFilesSent:  # Django's own cap (DATA_UPLOAD_MAX_NUMBER_FILES), hit while parsing
            raise InvalidInput(
                too_many_files_sentence(limits=conf.photo_limits()), field="photos", code="too_many_photos"
            )
        data = HazardCreateSerializer(data=payload)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        outcome = services.hazard_report(
            reporter=request.user,
            category_slug=values["category"],
            description=values["description"],
            latitude=values["latitude"],
            longitude=values["longitude"],
            address=values.get("address", ""),
            contact_phone=values.get("contact_phone", ""),
            contact_consent=values.get("contact_consent", False),
            sms_updates=values.get("sms_updates", False),
            photos=photos,
            source=Source.API if request.auth is not None else Source.WEB,
            client_data=premises_hint(values.get("premises")),
        )
        if request.auth is None:  # a browser, not an API client: it may answer the fix later
            remember_filed(request._request, outcome.hazard.pk)
        return Response(
            HazardCreatedSerializer(created_body(outcome, viewer=request.user)).data, status=status.HTTP_201_CREATED
        )


def _filtered(request, queryset):
    filterset = HazardFilter(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs


class HazardGeoJSONView(APIView):
    """The hazard list as a GeoJSON FeatureCollection (same filters and visibility as the list)."""

    permission_classes = [IsAuthenticated]
    # Declared so that the schema lists the filters; get() applies them itself (no pagination).
    filter_backends = [DjangoFilterBackend]
    filterset_class = HazardFilter
    queryset = Hazard.objects.none()  # for the schema generator only

    @extend_schema(
        summary="Hazards as GeoJSON",
        filters=True,
        responses={
            (200, "application/geo+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"
            ),
            **hazard_errors(400, 401),
        },
    )
    def get(self, request):
        queryset = _filtered(request, selectors.hazard_visible(user=request.user).select_related("category"))
        if "distance_sq" not in queryset.query.annotations:
            queryset = queryset.order_by("-created_at", "-id")
        limit = conf.geojson_limit()
        rows = list(
            queryset.values_list(
                "id",
                "tracking_code",
                "status",
                "severity",
                "category__slug",
                "category__name",
                "category__name_en",
                "grid_id",
                "community_id",
                "latitude",
                "longitude",
                "created_at",
            )[: limit + 1]
        )
        features = [
            {
                "type": "Feature",
                "id": pk,
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": {
                    "id": pk,
                    "tracking_code": code,
                    "status": st,
                    "severity": sev,
                    "category": slug,
                    "category_name": name,
                    "category_name_en": name_en,
                    "grid": grid,
                    "community": community,
                    "created_at": created.isoformat(),
                },
            }
            for pk, code, st, sev, slug, name, name_en, grid, community, lat, lng, created in rows[:limit]
        ]
        body = {"type": "FeatureCollection", "features": features, "truncated": len(rows) > limit}
        return JsonResponse(body, content_type="application/geo+json", json_dumps_params={"ensure_ascii": False})


class HazardDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One hazard", responses={200: HazardDetailSerializer, **hazard_errors(401, 404)})
    def get(self, request, pk: int):
        hazard = selectors.hazard_get(user=request.user, hazard_id=pk)
        return Response(HazardDetailSerializer(hazard, context={"request": request}).data)


class TrackView(APIView):
    """Public status of a report by its tracking code: no reporter, no contact, location ≈100 m."""

    permission_classes = [AllowAny]
    throttle_classes = [CodeLookupThrottle]
    throttle_scope = "code_lookup"

    @extend_schema(summary="Track a report", responses={200: TrackSerializer, **hazard_errors(404)})
    def get(self, request, tracking_code: str):
        hazard = selectors.hazard_track(tracking_code=tracking_code)
        return Response(TrackSerializer(hazard).data)
