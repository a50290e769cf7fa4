"""Kernel API: grids, auth token, me."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.errors import InvalidInput, NotFound
from govern.models import Grid
from govern.roles import user_roles
from govern.selectors import grid_for_point, grid_list
from govern.throttles import FailedLoginThrottle
from govern.tokens import token_for


class ErrorSerializer(serializers.Serializer):
    """Every error: a sentence, a machine code, and per-field messages for validation errors."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


STANDARD_ERRORS = {
    400: "Invalid input; `errors` names the field",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found (or not visible to you)",
    409: "Not possible in the current state; `detail` says why",
    422: "Refused by a business rule; `detail` says why",
    429: "Too many requests; retry after the Retry-After header",
}


def error_responses(*codes: int, **descriptions: str) -> dict:
    """OpenAPI error responses for `codes`, all with ErrorSerializer; `e404="..."` overrides a text."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=descriptions.get(f"e{code}", STANDARD_ERRORS[code]))
        for code in codes
    }


class PointSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class RefSerializer(serializers.Serializer):
    """A related object named by id and display name (shared by every app's API)."""

    id = serializers.IntegerField()
    name = serializers.CharField()


# A user named by id and display name (shared by every app's API).
class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class CommunityRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()


class GeoJSONPolygonSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Polygon"])
    coordinates = serializers.ListField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField(), min_length=2))
    )


class GridSerializer(serializers.ModelSerializer):
    community = serializers.SerializerMethodField()
    center = serializers.SerializerMethodField()
    boundary = serializers.SerializerMethodField()

    class Meta:
        model = Grid
        fields = ["id", "name", "code", "community", "center", "boundary"]

    @extend_schema_field(CommunityRefSerializer)
    def get_community(self, grid: Grid) -> dict:
        return {"id": grid.community_id, "name": grid.community.name, "code": grid.community.code}

    @extend_schema_field(PointSerializer)
    def get_center(self, grid: Grid) -> dict:
        return {"latitude": grid.center_latitude, "longitude": grid.center_longitude}

    @extend_schema_field(GeoJSONPolygonSerializer)
    def get_boundary(self, grid: Grid) -> dict:
        return grid.boundary


class GridListView(generics.ListAPIView):
    """Every grid of the district with its community, centre and GeoJSON boundary."""

    serializer_class = GridSerializer
    permission_classes = [AllowAny]
    filterset_fields = ["community"]

    def get_queryset(self):
        return grid_list()


def parse_coordinate(params, name: str, low: float, high: float) -> float:
    """A finite float within [low, high] from query params, or a 400 naming the field."""
    raw = params.get(name)
    if raw in (None, ""):
        raise InvalidInput(_("%(field)s is required.") % {"field": name}, field=name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(_("%(field)s must be a number.") % {"field": name}, field=name) from None
    if not (low <= value <= high):  # also false for NaN
        raise InvalidInput(
            _("%(field)s must be between %(low)s and %(high)s.") % {"field": name, "low": low, "high": high},
            field=name,
        )
    return value


class GridLocateView(APIView):
    """Which grid contains a point: 200 with the grid, 404 outside every grid, 400 bad input."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("latitude", float, required=True, description="WGS84 latitude, -90..90"),
            OpenApiParameter("longitude", float, required=True, description="WGS84 longitude, -180..180"),
        ],
        responses={
            200: GridSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Missing or invalid coordinates"),
            404: OpenApiResponse(ErrorSerializer, description="Outside every grid"),
        },
    )
    def get(self, request):
        latitude = parse_coordinate(request.query_params, "latitude", -90.0, 90.0)
        longitude = parse_coordinate(request.query_params, "longitude", -180.0, 180.0)
        grid = grid_for_point(latitude, longitude)
        if grid is None:
            raise NotFound(_("This point is outside the service area: it lies in no grid."))
        return Response(GridSerializer(grid).data)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [FailedLoginThrottle]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Wrong username or password"),
            429: OpenApiResponse(ErrorSerializer, description="Too many failed attempts from this client"),
        },
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            FailedLoginThrottle().record_failure(request)
            serializer.is_valid(raise_exception=True)
        token = token_for(serializer.validated_data["user"])  # a fresh one when the old expired
        return Response({"token": token.key})


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    phone = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    is_superuser = serializers.BooleanField()
    grids = serializers.ListField(child=serializers.IntegerField())


class MeView(APIView):
    """Who am I: id, username, roles (and the grids a grid worker owns)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer, 401: OpenApiResponse(ErrorSerializer)})
    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "phone": user.phone,
                "roles": sorted(user_roles(user)),
                "is_superuser": user.is_superuser,
                "grids": list(user.grids.order_by("id").values_list("id", flat=True)),
            }
        )
