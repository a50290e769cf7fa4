"""REST API of linking hazards to premises: thin views over hazards.premises.linking.

POST /api/v1/hazards/{id}/premises/   link the hazard to `premises` (dispatchers, the grid's workers)
GET  /api/v1/premises/nearby/         active premises near a point, for the report form (anyone)
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import RefSerializer, error_responses
from hazards.premises.linking import hazard_link_premises, premises_near
from hazards.premises.models import HazardOrigin, Premises
from hazards.reports.throttles import CodeLookupThrottle


class LinkInputSerializer(serializers.Serializer):
    premises = serializers.IntegerField(min_value=1, max_value=2**53, help_text="the premises id")


class LinkSerializer(serializers.Serializer):
    hazard_id = serializers.IntegerField()
    premises = serializers.SerializerMethodField()
    origin = serializers.ChoiceField(choices=HazardOrigin.choices)
    linked_at = serializers.DateTimeField(source="created_at")

    @extend_schema_field(RefSerializer)
    def get_premises(self, link) -> dict:
        return {"id": link.premises_id, "name": link.premises.name}


class HazardPremisesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Link a hazard to a premises",
        description=(
            "Dispatchers link any hazard to any premises; a grid worker links a hazard of their grids to a premises "
            "of their grids. The hazard enters the premises' history (origin `report` unless a sensor or an "
            "inspection raised it) and `premises.hazard_linked` is published. Linking again to the same premises "
            "changes nothing; a report linked by hand may be moved to another premises; a hazard raised by a "
            "sensor or an inspection stays with its premises (409). A hazard or premises you do not see is a 404; "
            "the reporter is a 403."
        ),
        request=LinkInputSerializer,
        responses={
            200: LinkSerializer,
            **error_responses(400, 401, 403, 404, 409, e404="No such hazard or premises (or not visible to you)"),
        },
    )
    def post(self, request, pk: int):
        data = LinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = hazard_link_premises(actor=request.user, hazard_id=pk, premises_id=data.validated_data["premises"])
        link.premises = Premises.objects.only("pk", "name").get(pk=link.premises_id)
        return Response(LinkSerializer(link).data)


class NearbyPremisesSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="premises.pk")
    name = serializers.CharField(source="premises.name")
    type = RefSerializer(source="premises_type")
    distance_m = serializers.IntegerField(help_text="rounded to 10 m")


class NearbyQuerySerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)


class NearbyPremisesView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [CodeLookupThrottle]
    throttle_scope = "code_lookup"

    @extend_schema(
        summary="Registered premises near a point",
        description=(
            "For the report form: the active premises within 300 m of the point, nearest first (at most 8), by "
            "name and type only (no code, address or phone). The reporter may name one; a dispatcher or the "
            "grid's worker decides whether the report is linked to it. Throttled like code lookups."
        ),
        parameters=[
            OpenApiParameter("latitude", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("longitude", OpenApiTypes.NUMBER, required=True),
        ],
        responses={200: NearbyPremisesSerializer(many=True), **error_responses(400, 429)},
    )
    def get(self, request):
        query = NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = premises_near(latitude=query.validated_data["latitude"], longitude=query.validated_data["longitude"])
        rows = [
            {
                "premises": n.premises,
                "premises_type": {"id": n.premises.type_id, "name": n.premises.type.localized_name()},
                "distance_m": int(round(n.distance_m / 10.0) * 10),
            }
            for n in found
        ]
        return Response(NearbyPremisesSerializer(rows, many=True).data)
