"""REST endpoints of the rewards app (mounted under /api/v1/ by govern.urls)."""

from django.urls import path

from rewards import api

urlpatterns = [
    path("points/", api.PointsView.as_view(), name="api-points"),
    path("points/adjust/", api.PointsAdjustView.as_view(), name="api-points-adjust"),
    path("points/rules/", api.EarningRuleListView.as_view(), name="api-points-rules"),
    path("points/clawbacks/", api.ClawbackListView.as_view(), name="api-points-clawbacks"),
    path("points/clawbacks/<int:pk>/resolve/", api.ClawbackResolveView.as_view(), name="api-points-clawback-resolve"),
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
