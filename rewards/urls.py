"""Pages of the rewards app (mounted at the site root by govern.urls)."""

from django.urls import path

from rewards import clawback_views, offer_views, statement_views, views

urlpatterns = [
    path("wallet/", views.wallet, name="rewards-wallet"),
    path("wallet/leaderboard/", views.wallet_leaderboard, name="rewards-wallet-leaderboard"),
    path("wallet/redemptions/<int:pk>/cancel/", views.wallet_cancel, name="rewards-wallet-cancel"),
    path("shop/", views.shop, name="rewards-shop"),
    path("shop/<int:pk>/redeem/", views.shop_redeem, name="rewards-shop-redeem"),
    path("merchant/", views.merchant, name="rewards-merchant"),
    path("merchant/offers/", offer_views.merchant_offers, name="rewards-merchant-offers"),
    path("merchant/offers/<int:pk>/", offer_views.merchant_offer_edit, name="rewards-merchant-offer"),
    path("merchant/statement/", statement_views.statement, name="rewards-statement"),
    path("merchant/statement.csv", statement_views.statement_csv, name="rewards-statement-csv"),
    path("office/coupon-proposals/", offer_views.coupon_proposals, name="rewards-coupon-proposals"),
    path(
        "office/coupon-proposals/<int:pk>/decide/",
        offer_views.coupon_proposal_decide,
        name="rewards-coupon-proposal-decide",
    ),
    path("office/clawbacks/", clawback_views.clawbacks, name="rewards-clawbacks"),
    path("office/clawbacks/<int:pk>/resolve/", clawback_views.clawback_resolve, name="rewards-clawback-resolve"),
    path("leaderboard/", views.leaderboard, name="rewards-leaderboard"),
]
