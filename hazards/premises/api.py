"""REST API of the premises register: thin views over hazards.premises.services and selectors.

GET   /api/v1/premises/        list (dispatchers all, grid workers their grids, responsible persons their own)
POST  /api/v1/premises/        register a premises (dispatchers)
GET   /api/v1/premises/{id}/   one premises with its recent hazard history
PATCH /api/v1/premises/{id}/   change fields (dispatchers); moving the point recomputes the grid
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import RefSerializer, error_responses
from govern.errors import PermissionDenied
from hazards.core.serializers import CategoryRefSerializer
from hazards.models import Severity, Status
from hazards.premises import selectors, services
from hazards.premises.filters import PremisesFilter
from hazards.premises.models import HazardOrigin, Premises
from hazards.premises.policy import can_manage

# --- output ----------------------------------------------------------------------------------------


class PremisesTypeRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class PremisesSerializer(serializers.Serializer):
    """A premises as the viewer may see it: phones masked (138****1234) for everyone but
    dispatchers and the premises' responsible person."""

    id = serializers.IntegerField()
    code = serializers.CharField(help_text="register code (the CSV import's key)")
    name = serializers.CharField()
    type = serializers.SerializerMethodField()
    address = serializers.CharField()
    street = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    grid = serializers.SerializerMethodField()
    contact_name = serializers.CharField()
    contact_phone = serializers.SerializerMethodField()
    responsible_name = serializers.CharField()
    responsible_phone = serializers.SerializerMethodField()
    responsible_user = serializers.IntegerField(
        source="responsible_user_id", allow_null=True, help_text="the responsible person's account id, if any"
    )
    active = serializers.BooleanField()
    open_hazards = serializers.IntegerField(help_text="linked hazards not yet closed, rejected or merged")
    hazard_total = serializers.IntegerField(help_text="every hazard ever linked")
    updated_at = serializers.DateTimeField()

    @extend_schema_field(PremisesTypeRefSerializer)
    def get_type(self, premises) -> dict:
        t = premises.type
        return {"slug": t.slug, "name": t.name, "name_en": t.name_en}

    @extend_schema_field(RefSerializer)
    def get_grid(self, premises) -> dict:
        return {"id": premises.grid_id, "name": premises.grid.name}

    def _phones(self, premises) -> tuple[str, str]:
        return selectors.phones_for(self.context["request"].user, premises)

    @extend_schema_field(OpenApiTypes.STR)
    def get_contact_phone(self, premises) -> str:
        return self._phones(premises)[0]

    @extend_schema_field(OpenApiTypes.STR)
    def get_responsible_phone(self, premises) -> str:
        return self._phones(premises)[1]


class HistoryEntrySerializer(serializers.Serializer):
    hazard_id = serializers.IntegerField()
    tracking_code = serializers.CharField(source="hazard.tracking_code")
    status = serializers.ChoiceField(source="hazard.status", choices=Status.choices)
    severity = serializers.ChoiceField(source="hazard.severity", choices=Severity.choices)
    category = serializers.SerializerMethodField()
    origin = serializers.ChoiceField(choices=HazardOrigin.choices)
    linked_at = serializers.DateTimeField(source="created_at")
    reported_at = serializers.DateTimeField(source="hazard.created_at")
    tracking_url = serializers.SerializerMethodField()

    @extend_schema_field(CategoryRefSerializer)
    def get_category(self, link) -> dict:
        c = link.hazard.category
        return {"slug": c.slug, "name": c.name, "name_en": c.name_en}

    def get_tracking_url(self, link) -> str:
        return f"/track/{link.hazard.tracking_code}/"


class PremisesDetailSerializer(PremisesSerializer):
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    history = HistoryEntrySerializer(many=True, help_text="the most recent linked hazards, newest first")


def detail_body(request, premises_id: int) -> dict:
    detail = selectors.premises_detail(user=request.user, premises_id=premises_id)
    premises = detail.premises
    premises.history = detail.history
    premises.open_hazards = detail.open_hazards
    premises.hazard_total = detail.hazard_total
    return PremisesDetailSerializer(premises, context={"request": request}).data


# --- input -----------------------------------------------------------------------------------------


class PremisesInputSerializer(serializers.Serializer):
    """Shapes only; the rules (phones, grid from the point, unique code) are the service's."""

    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=120)
    type = serializers.SlugField(max_length=40, help_text="premises type slug: restaurant, shop, workshop, enterprise…")
    address = serializers.CharField(max_length=200)
    street = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    responsible_name = serializers.CharField(max_length=60)
    responsible_phone = serializers.CharField(
        max_length=13, required=False, allow_blank=True, default="", help_text="mainland China mobile (11 digits)"
    )
    responsible_user = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="the responsible person's account id"
    )
    active = serializers.BooleanField(required=False, default=True)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PremisesPatchSerializer(PremisesInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


def _errors(*codes: int) -> dict:
    return error_responses(*codes, e404="No such premises (or not visible to you)")


# --- views -----------------------------------------------------------------------------------------


class PremisesListCreateView(generics.ListAPIView):
    """The premises register: list what you may see (filtered), or register a premises."""

    serializer_class = PremisesSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PremisesFilter
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Premises.objects.none()
        return selectors.premises_list(user=self.request.user)

    @extend_schema(
        summary="List premises",
        description="Dispatchers see every premises, grid workers the premises of their grids, a responsible "
        "person their own; anyone else gets 403. Phones are masked except for dispatchers and the premises' "
        "responsible person.",
        responses={200: PremisesSerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Register a premises (dispatchers)",
        description="The grid is computed from latitude/longitude; a point outside every grid is a 400 naming "
        "latitude. A register code already in use is a 400 naming code.",
        request=PremisesInputSerializer,
        responses={201: PremisesDetailSerializer, **_errors(400, 401, 403)},
    )
    def post(self, request):
        if not can_manage(request.user):
            raise PermissionDenied(_("Only dispatchers edit the premises register."))
        data = PremisesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        premises = services.premises_create(actor=request.user, **data.validated_data)
        return Response(detail_body(request, premises.pk), status=status.HTTP_201_CREATED)


class PremisesDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One premises with its hazard history", responses={200: PremisesDetailSerializer, **_errors(401, 404)}
    )
    def get(self, request, pk: int):
        return Response(detail_body(request, pk))

    @extend_schema(
        summary="Change a premises (dispatchers)",
        request=PremisesPatchSerializer,
        responses={200: PremisesDetailSerializer, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request, pk: int):
        if not can_manage(request.user):
            raise PermissionDenied(_("Only dispatchers edit the premises register."))
        data = PremisesPatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.premises_update(actor=request.user, premises_id=pk, **data.validated_data)
        return Response(detail_body(request, pk))
