"""REST endpoints where merchants run their offers (rewards.proposals) and read their monthly
statements (rewards.statements). Thin: validate → service/selector → serialize."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.errors import InvalidInput, PermissionDenied
from govern.pagination import Pagination
from govern.parsers import JSONParser
from govern.permissions import IsDispatcher
from rewards import policy, proposals, selectors, statements
from rewards.api import CouponSerializer, _errors
from rewards.models import Audience, Coupon, CouponKind, CouponReview


class OfferSerializer(CouponSerializer):
    """An offer as its merchant and the dispatchers see it: the terms and where its review stands."""

    proposed_by = serializers.IntegerField(source="proposed_by_id", allow_null=True, read_only=True)
    redeemed_by_me = None  # a resident's own count of codes: meaningless to the merchant's staff

    class Meta(CouponSerializer.Meta):
        fields = [
            *(name for name in CouponSerializer.Meta.fields if name != "redeemed_by_me"),
            "review",
            "review_reason",
            "proposed_by",
            "reviewed_at",
        ]


class ProposalSerializer(serializers.Serializer):
    """What a merchant's staff member may set on an offer (multipart when there is an image)."""

    merchant = serializers.IntegerField(min_value=1, help_text="One of your merchants (create only).")
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=CouponKind.choices, required=False)
    image = serializers.FileField(required=False, help_text="JPEG, PNG, WebP or HEIC; re-encoded, metadata removed.")
    cost = serializers.IntegerField(min_value=1, max_value=1_000_000)
    stock_total = serializers.IntegerField(min_value=1, max_value=100_000)
    per_user_limit = serializers.IntegerField(min_value=1, max_value=100, required=False)
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()
    code_valid_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    audience_teams = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    audience_community = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    audience_min_hours = serializers.IntegerField(min_value=1, max_value=100_000, required=False, allow_null=True)

    def terms(self) -> dict:
        data = dict(self.validated_data)
        data.pop("merchant", None)
        data.pop("image", None)
        renamed = {"audience_teams": "audience_team_ids", "audience_community": "audience_community_id"}
        terms = {renamed.get(name, name): value for name, value in data.items() if name != "code_valid_days"}
        if "code_valid_days" in data:
            terms["code_valid_for"] = timedelta(days=data["code_valid_days"])
        return terms


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why it is returned (the merchant reads it).")


class MerchantOfferListView(generics.ListCreateAPIView):
    """GET: the offers of the merchants I am staff of, newest first, whatever their review.
    POST: propose an offer; it waits for a dispatcher (`review` = `proposed`)."""

    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    serializer_class = OfferSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Coupon.objects.none()
        ids = sorted(policy.staff_merchant_ids(self.request.user))
        if not ids:
            raise PermissionDenied(_("You are not staff of any merchant."))
        return selectors.merchant_offers(merchant_ids=ids)

    @extend_schema(
        responses={
            200: OfferSerializer(many=True),
            **_errors(**{"401": "Not logged in", "403": "Not staff of any merchant"}),
        }
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ProposalSerializer, "application/json": ProposalSerializer},
        responses={
            201: OfferSerializer,
            **_errors(
                **{
                    "400": "Invalid terms or image (the field is named)",
                    "401": "Not logged in",
                    "403": "Not staff of this merchant",
                    "404": "No such team or community",
                }
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        body = ProposalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        coupon = proposals.coupon_propose(
            actor=request.user,
            merchant_id=body.validated_data["merchant"],
            image=body.validated_data.get("image"),
            **body.terms(),
        )
        return Response(
            OfferSerializer(selectors.merchant_offers(merchant_ids=[coupon.merchant_id]).get(pk=coupon.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class MerchantOfferDetailView(APIView):
    """PATCH: change a waiting or returned proposal of my merchant; it is proposed again."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": ProposalSerializer, "application/json": ProposalSerializer},
        responses={
            200: OfferSerializer,
            **_errors(
                **{
                    "400": "Invalid terms or image",
                    "401": "Not logged in",
                    "403": "Not staff of this offer's merchant",
                    "404": "No such coupon",
                    "409": "Already approved: a dispatcher changes it now",
                }
            ),
        },
    )
    def patch(self, request, pk: int):
        body = ProposalSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        coupon = proposals.coupon_proposal_revise(
            actor=request.user, coupon_id=pk, image=body.validated_data.get("image"), **body.terms()
        )
        return Response(OfferSerializer(selectors.merchant_offers(merchant_ids=[coupon.merchant_id]).get(pk=pk)).data)


class CouponProposalListView(generics.ListAPIView):
    """Merchants' proposals for dispatchers: `review=proposed` (default, oldest first), `returned`,
    `approved`, or `all`."""

    permission_classes = [IsDispatcher]
    pagination_class = Pagination
    serializer_class = OfferSerializer

    @extend_schema(
        parameters=[OpenApiParameter("review", str, enum=[*CouponReview.values, "all"])],
        responses={
            200: OfferSerializer(many=True),
            **_errors(**{"400": "Unknown review", "401": "Not logged in", "403": "Not a dispatcher"}),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        review = self.request.query_params.get("review", CouponReview.PROPOSED)
        if review not in (*CouponReview.values, "all"):
            raise InvalidInput(_("review must be proposed, returned, approved or all."), field="review")
        return selectors.coupon_proposals(review=None if review == "all" else review)


_DECISION_ERRORS = {
    "401": "Not logged in",
    "403": "Not a dispatcher",
    "404": "No such coupon",
    "409": "Not waiting for a decision (code not_proposed)",
}


class CouponProposalApproveView(APIView):
    """A dispatcher approves a proposal: it goes on sale in its window."""

    permission_classes = [IsDispatcher]

    @extend_schema(request=None, responses={200: OfferSerializer, **_errors(**_DECISION_ERRORS)})
    def post(self, request, pk: int):
        proposals.coupon_review(actor=request.user, coupon_id=pk, approve=True)
        return Response(OfferSerializer(selectors.coupon_proposals(review=None).get(pk=pk)).data)


class CouponProposalReturnView(APIView):
    """A dispatcher returns a proposal to its merchant with a reason."""

    permission_classes = [IsDispatcher]

    @extend_schema(
        request=ReturnSerializer,
        responses={200: OfferSerializer, **_errors(**{"400": "No reason given", **_DECISION_ERRORS})},
    )
    def post(self, request, pk: int):
        body = ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposals.coupon_review(actor=request.user, coupon_id=pk, approve=False, reason=body.validated_data["reason"])
        return Response(OfferSerializer(selectors.coupon_proposals(review=None).get(pk=pk)).data)


class StatementCouponSerializer(serializers.Serializer):
    coupon_id = serializers.IntegerField()
    title = serializers.CharField()
    codes = serializers.IntegerField()
    points = serializers.IntegerField()


class StatementCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    coupon_id = serializers.IntegerField()
    points = serializers.IntegerField(source="cost")
    used_at = serializers.DateTimeField()
    checked_by = serializers.CharField(source="used_by.username", allow_null=True)


class StatementSerializer(serializers.Serializer):
    merchant = serializers.IntegerField(source="merchant.pk")
    month = serializers.CharField()
    codes = serializers.IntegerField(help_text="Codes used at this merchant in the month.")
    points = serializers.IntegerField(help_text="Points those codes cost.")
    coupons = StatementCouponSerializer(many=True, source="totals")
    used = StatementCodeSerializer(many=True, help_text="Every code used, in the order they were used.")


class MerchantStatementView(APIView):
    """A merchant's monthly statement of codes used (its staff, or a dispatcher). `month` is
    YYYY-MM in local time (default: this month)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM, e.g. 2026-03")],
        responses={
            200: StatementSerializer,
            **_errors(
                **{
                    "400": "Bad month",
                    "401": "Not logged in",
                    "403": "Not this merchant's staff nor a dispatcher",
                    "404": "No such merchant",
                }
            ),
        },
    )
    def get(self, request, pk: int):
        month = statements.clean_month(request.query_params.get("month"))
        if not policy.may_see_statement(request.user, pk):
            raise PermissionDenied(_("This is another merchant's statement."))
        statement = statements.merchant_statement(merchant_id=pk, month=month)
        body = {
            "merchant": statement.merchant,
            "month": month.strftime("%Y-%m"),
            "codes": statement.codes,
            "points": statement.points,
            "totals": [t.__dict__ for t in statement.totals],
            "used": list(statements.used_in_month(merchant_id=pk, month=month)),
        }
        return Response(StatementSerializer(body).data)
