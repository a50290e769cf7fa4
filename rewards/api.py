"""REST API of the rewards app: thin views (validate → service/selector → serialize)."""

from __future__ import annotations

from io import BytesIO

import segno
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from govern.api import ErrorSerializer
from govern.client_address import ClientAddressIdent
from govern.errors import InvalidInput
from govern.pagination import Pagination
from govern.permissions import IsDispatcher
from rewards import clawback, clean, conf, ledger, redemptions, selectors
from rewards.audience import audience_badge
from rewards.models import Coupon, Merchant, PointsClawback, PointsEntry, Redemption
from rewards.words import rule_sentence

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    clean.IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A new random key per redemption (1–100 of A-Z a-z 0-9 _ . : -). Retrying with the same key "
    "returns the same redemption instead of buying twice.",
)


def _errors(**described: str) -> dict:
    return {int(code): OpenApiResponse(ErrorSerializer, description=text) for code, text in described.items()}


# --- serializers ----------------------------------------------------------------------------


class MerchantRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Merchant
        fields = ["id", "name", "address"]


class CouponSerializer(serializers.ModelSerializer):
    merchant = MerchantRefSerializer()
    code_valid_for = serializers.SerializerMethodField(help_text="Seconds an issued code stays usable.")
    image = serializers.SerializerMethodField()
    redeemed_by_me = serializers.IntegerField(read_only=True, help_text="Your issued + used codes of this coupon.")
    available = serializers.SerializerMethodField(help_text="Redeemable now: active, inside the window, in stock.")
    audience_badge = serializers.SerializerMethodField(help_text="Who may redeem, in words; empty for everyone.")

    class Meta:
        model = Coupon
        fields = [
            "id",
            "title",
            "description",
            "merchant",
            "kind",
            "cost",
            "stock_total",
            "stock_remaining",
            "per_user_limit",
            "valid_from",
            "valid_until",
            "code_valid_for",
            "image",
            "redeemed_by_me",
            "available",
            "audience",
            "audience_badge",
        ]

    def get_code_valid_for(self, coupon: Coupon) -> int:
        return int(coupon.code_valid_for.total_seconds())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_image(self, coupon: Coupon) -> str | None:
        return coupon.image.url if coupon.image else None

    def get_audience_badge(self, coupon: Coupon) -> str:
        return audience_badge(coupon, team_names=[t.name for t in coupon.audience_teams.all()])

    def get_available(self, coupon: Coupon) -> bool:
        now = timezone.now()
        return bool(
            coupon.active
            and coupon.merchant.active
            and coupon.valid_from <= now < coupon.valid_until
            and coupon.stock_remaining > 0
        )


class CouponRefSerializer(serializers.ModelSerializer):
    merchant = MerchantRefSerializer()

    class Meta:
        model = Coupon
        fields = ["id", "title", "kind", "cost", "merchant"]


class RedemptionSerializer(serializers.ModelSerializer):
    coupon = CouponRefSerializer()
    display_code = serializers.CharField(read_only=True, help_text="The code in groups of four, as shown to people.")
    qr = serializers.SerializerMethodField(help_text="URL of the code's QR image (SVG; ?kind=png for PNG).")

    class Meta:
        model = Redemption
        fields = [
            "id",
            "code",
            "display_code",
            "status",
            "cost",
            "created_at",
            "expires_at",
            "used_at",
            "ended_at",
            "coupon",
            "qr",
        ]

    def get_qr(self, redemption: Redemption) -> str:
        return f"/api/v1/redemptions/{redemption.pk}/qr/"


class PointsEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsEntry
        fields = ["id", "amount", "kind", "reason", "balance_after", "created_at", "source_type", "source_id"]


class PaginatedEntriesSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = PointsEntrySerializer(many=True)


class PointsSerializer(serializers.Serializer):
    balance = serializers.IntegerField()
    show_on_leaderboard = serializers.BooleanField()
    earned_today = serializers.IntegerField()
    daily_cap = serializers.IntegerField(help_text="Most points earnable per day from rules; 0 means no cap.")
    entries = PaginatedEntriesSerializer()


class PointsPatchSerializer(serializers.Serializer):
    show_on_leaderboard = serializers.BooleanField()


class AdjustSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField()
    reason = serializers.CharField(max_length=200)


class AdjustResponseSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    balance = serializers.IntegerField()
    entry = PointsEntrySerializer()


class UseSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=64, help_text="The code as shown or scanned; dashes and spaces are ignored."
    )


class LeaderRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField(allow_null=True, help_text="Null unless the person opted in to show a name.")
    points = serializers.IntegerField()
    is_me = serializers.BooleanField()


class LeaderboardSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=selectors.PERIODS)
    since = serializers.DateTimeField(allow_null=True)
    results = LeaderRowSerializer(many=True)
    me = LeaderRowSerializer(allow_null=True)


# --- points ---------------------------------------------------------------------------------


def _points_body(request, view) -> dict:
    user = request.user
    account = selectors.points_account_get(user=user)
    paginator = Pagination()
    page = paginator.paginate_queryset(selectors.points_entry_list(user=user), request, view=view)
    return {
        "balance": account.balance,
        "show_on_leaderboard": account.show_on_leaderboard,
        "earned_today": selectors.points_earned_today(user=user),
        "daily_cap": conf.daily_cap(),
        "entries": {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": PointsEntrySerializer(page, many=True).data,
        },
    }


class PointsView(APIView):
    """My balance and ledger (newest first, paginated with `page` and `page_size`)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: PointsSerializer, **_errors(**{"401": "Not logged in", "404": "No such page"})},
    )
    def get(self, request):
        return Response(_points_body(request, self))

    @extend_schema(
        request=PointsPatchSerializer,
        responses={200: PointsSerializer, **_errors(**{"400": "Invalid input", "401": "Not logged in"})},
        description="Opt in to (or out of) showing my display name on the community leaderboard.",
    )
    def patch(self, request):
        serializer = PointsPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ledger.points_account_set_leaderboard(
            user_id=request.user.pk, show=serializer.validated_data["show_on_leaderboard"]
        )
        return Response(_points_body(request, self))


class PointsAdjustView(APIView):
    """A dispatcher adds or removes points with a reason (never on their own account). An optional
    Idempotency-Key header makes retries safe: the same key returns the first entry with 200."""

    permission_classes = [IsDispatcher]

    @extend_schema(
        request=AdjustSerializer,
        parameters=[
            OpenApiParameter(clean.IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)
        ],
        responses={
            201: AdjustResponseSerializer,
            200: OpenApiResponse(AdjustResponseSerializer, description="Replay of an earlier Idempotency-Key"),
            **_errors(
                **{
                    "400": "Invalid amount or reason",
                    "401": "Not logged in",
                    "403": "Not a dispatcher, or the dispatcher's own account",
                    "404": "No such user",
                    "422": "Would take the balance below zero, or the key was used for another adjustment",
                }
            ),
        },
    )
    def post(self, request):
        serializer = AdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = ledger.points_adjust(
            user_id=data["user"],
            amount=data["amount"],
            reason=data["reason"],
            actor=request.user,
            idempotency_key=request.headers.get(clean.IDEMPOTENCY_HEADER),
        )
        body = {
            "user": data["user"],
            "balance": result.entry.balance_after,
            "entry": PointsEntrySerializer(result.entry).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class EarningRuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    points = serializers.IntegerField()
    per_minutes = serializers.IntegerField(
        allow_null=True, help_text="Paid once per this many minutes; null: per source"
    )
    description = serializers.SerializerMethodField()

    def get_description(self, rule) -> str:
        return rule_sentence(rule)


class EarningRuleListView(APIView):
    """How points are earned: the active earning rules (edited in the admin)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: EarningRuleSerializer(many=True)})
    def get(self, request):
        return Response(EarningRuleSerializer(selectors.earning_rule_list(), many=True).data)


class ClawbackSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="award.user_id")
    source_type = serializers.CharField(source="award.source_type")
    source_id = serializers.CharField(source="award.source_id")

    class Meta:
        model = PointsClawback
        fields = [
            "id",
            "user",
            "source_type",
            "source_id",
            "points_paid",
            "points_taken",
            "shortfall",
            "reason",
            "created_at",
            "resolved_at",
        ]


class ClawbackListView(generics.ListAPIView):
    """Claw-backs of reopened verifications, newest first; `open=true`: only the unresolved
    shortfalls (points already spent when the award was taken back), the dispatcher's to handle."""

    permission_classes = [IsDispatcher]
    serializer_class = ClawbackSerializer
    pagination_class = Pagination

    @extend_schema(
        parameters=[OpenApiParameter("open", bool, description="Only unresolved shortfalls")],
        responses={200: ClawbackSerializer(many=True), **_errors(**{"403": "Not a dispatcher"})},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        open_only = self.request.query_params.get("open") in ("1", "true")
        return selectors.clawback_list(state="open" if open_only else "")


class ClawbackResolveView(APIView):
    """A dispatcher marks a shortfall resolved (409 if it already was)."""

    permission_classes = [IsDispatcher]

    @extend_schema(
        request=None,
        responses={
            200: ClawbackSerializer,
            **_errors(**{"403": "Not a dispatcher", "404": "No such claw-back", "409": "Already resolved"}),
        },
    )
    def post(self, request, pk: int):
        done = clawback.points_clawback_resolve(clawback_id=pk, actor=request.user)
        return Response(ClawbackSerializer(selectors.clawback_list().get(pk=done.pk)).data)


class LeaderboardView(APIView):
    """Top earners (points earned under rules) this month or of all time; names only by opt-in."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=list(selectors.PERIODS), description="month (default) or all")
        ],
        responses={200: LeaderboardSerializer, **_errors(**{"400": "Unknown period"})},
    )
    def get(self, request):
        period = request.query_params.get("period", "month")
        if period not in selectors.PERIODS:
            raise InvalidInput(_("period must be month or all."), field="period")
        board = selectors.leaderboard_get(period=period, viewer=request.user)
        row = lambda r: {"rank": r.rank, "name": r.name, "points": r.points, "is_me": r.is_me}  # noqa: E731
        return Response(
            {
                "period": board.period,
                "since": board.since,
                "results": [row(r) for r in board.rows],
                "me": row(board.me) if board.me else None,
            }
        )


# --- coupons ---------------------------------------------------------------------------------


class CouponListView(generics.ListAPIView):
    """Coupons on offer now or soon (cheapest first). Filters: `merchant`, `kind`."""

    serializer_class = CouponSerializer
    permission_classes = [AllowAny]
    filterset_fields = ["merchant", "kind"]

    def get_queryset(self):
        return selectors.coupon_list(user=self.request.user)


class CouponDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: CouponSerializer, **_errors(**{"404": "No such coupon"})})
    def get(self, request, pk: int):
        return Response(CouponSerializer(selectors.coupon_get(coupon_id=pk, user=request.user)).data)


class CouponRedeemView(APIView):
    """Buy this coupon with points: 201 with the new code; 200 with the same code when the same
    Idempotency-Key is sent again."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: RedemptionSerializer,
            200: OpenApiResponse(RedemptionSerializer, description="Replay: this key already redeemed this coupon"),
            **_errors(
                **{
                    "400": "Idempotency-Key header missing or malformed",
                    "401": "Not logged in",
                    "404": "No such coupon",
                    "409": "Out of stock (code out_of_stock), or the coupon's terms kept changing during the attempt (code coupon_changing)",
                    "422": "Not enough points, limit reached, outside the validity window, no longer offered, "
                    "or the key was used for another coupon",
                }
            ),
        },
    )
    def post(self, request, pk: int):
        result = redemptions.redemption_create(
            user_id=request.user.pk, coupon_id=pk, idempotency_key=request.headers.get(clean.IDEMPOTENCY_HEADER)
        )
        return Response(
            RedemptionSerializer(result.redemption).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# --- redemptions -----------------------------------------------------------------------------


class RedemptionListView(generics.ListAPIView):
    """My codes, newest first. Filter: `status` (issued, used, expired, cancelled)."""

    serializer_class = RedemptionSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Redemption.objects.none()
        return selectors.redemption_list(user=self.request.user)


class RedemptionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: RedemptionSerializer, **_errors(**{"401": "Not logged in", "404": "Not one of my codes"})}
    )
    def get(self, request, pk: int):
        return Response(RedemptionSerializer(selectors.redemption_get(user=request.user, redemption_id=pk)).data)


class RedemptionQrView(APIView):
    """The QR image of one of my codes (it encodes the code itself). SVG, or PNG with ?kind=png."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=["svg", "png"])],
        responses={
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            **_errors(**{"401": "Not logged in", "404": "Not one of my codes"}),
        },
    )
    def get(self, request, pk: int):
        redemption = selectors.redemption_get(user=request.user, redemption_id=pk)
        qr = segno.make(redemption.code, error="m", micro=False)
        if request.query_params.get("kind") == "png":
            out = BytesIO()
            qr.save(out, kind="png", scale=8, border=2)
            response = HttpResponse(out.getvalue(), content_type="image/png")
        else:
            response = HttpResponse(qr.svg_inline(scale=8, border=2), content_type="image/svg+xml")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class RedemptionCancelView(APIView):
    """Give back an unused code (the owner, or a dispatcher): points and stock are refunded once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: RedemptionSerializer,
            **_errors(
                **{"401": "Not logged in", "404": "Not one of my codes", "409": "Already used, expired or cancelled"}
            ),
        },
    )
    def post(self, request, pk: int):
        redemption = redemptions.redemption_cancel(redemption_id=pk, actor=request.user)
        return Response(RedemptionSerializer(redemption).data)


class CodeLookupThrottle(ClientAddressIdent, ScopedRateThrottle):
    """Checks per user against guessing (rate: REST_FRAMEWORK throttle scope `code_lookup`)."""


class RedemptionUseView(APIView):
    """A merchant's staff accept a code: issued → used exactly once. Another merchant's codes are
    404 like unknown ones; lookups are throttled (429 with Retry-After)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [CodeLookupThrottle]
    throttle_scope = "code_lookup"

    @extend_schema(
        request=UseSerializer,
        responses={
            200: RedemptionSerializer,
            **_errors(
                **{
                    "400": "No code given",
                    "401": "Not logged in",
                    "403": "Not staff of any merchant",
                    "404": "No code like this at your shop",
                    "409": "Already used (with the time), expired or cancelled",
                    "429": "Too many checks: wait Retry-After seconds",
                }
            ),
        },
    )
    def post(self, request):
        serializer = UseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        redemption = redemptions.redemption_use(code=serializer.validated_data["code"], actor=request.user)
        return Response(RedemptionSerializer(redemption).data)
