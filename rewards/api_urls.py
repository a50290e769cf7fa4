"""REST endpoints of the rewards app (mounted under /api/v1/ by govern.urls)."""

from django.urls import path

from rewards import api, offers_api

urlpatterns = [
    path("points/", api.PointsView.as_view(), name="api-points"),
    path("points/adjust/", api.PointsAdjustView.as_view(), name="api-points-adjust"),
    path("points/rules/", api.EarningRuleListView.as_view(), name="api-points-rules"),
    path("points/clawbacks/", api.ClawbackListView.as_view(), name="api-points-clawbacks"),
    path("points/clawbacks/<int:pk>/resolve/", api.ClawbackResolveView.as_view(), name="api-points-clawback-resolve"),
    path("merchant/coupons/", offers_api.MerchantOfferListView.as_view(), name="api-merchant-coupons"),
    path("merchant/coupons/<int:pk>/", offers_api.MerchantOfferDetailView.as_view(), name="api-merchant-coupon"),
    path("merchants/<int:pk>/statement/", offers_api.MerchantStatementView.as_view(), name="api-merchant-statement"),
    path("coupon-proposals/", offers_api.CouponProposalListView.as_view(), name="api-coupon-proposals"),
    path(
        "coupon-proposals/<int:pk>/approve/",
        offers_api.CouponProposalApproveView.as_view(),
        name="api-coupon-proposal-approve",
    ),
    path(
        "coupon-proposals/<int:pk>/return/",
        offers_api.CouponProposalReturnView.as_view(),
        name="api-coupon-proposal-return",
    ),
    path("leaderboard/", api.LeaderboardView.as_view(), name="api-leaderboard"),
    path("coupons/", api.CouponListView.as_view(), name="api-coupons"),
    path("coupons/<int:pk>/", api.CouponDetailView.as_view(), name="api-coupon"),
    path("coupons/<int:pk>/redeem/", api.CouponRedeemView.as_view(), name="api-coupon-redeem"),
    path("redemptions/", api.RedemptionListView.as_view(), name="api-redemptions"),
    path("redemptions/use/", api.RedemptionUseView.as_view(), name="api-redemptions-use"),
    path("redemptions/<int:pk>/", api.RedemptionDetailView.as_view(), name="api-redemption"),
    path("redemptions/<int:pk>/qr/", api.RedemptionQrView.as_view(), name="api-redemption-qr"),
    path("redemptions/<int:pk>/cancel/", api.RedemptionCancelView.as_view(), name="api-redemption-cancel"),
]
