"""Pages of the rewards app (mounted at the site root by govern.urls)."""

from django.urls import path

from rewards import views

urlpatterns = [
    path("wallet/", views.wallet, name="rewards-wallet"),
    path("wallet/leaderboard/", views.wallet_leaderboard, name="rewards-wallet-leaderboard"),
    path("wallet/redemptions/<int:pk>/cancel/", views.wallet_cancel, name="rewards-wallet-cancel"),
    path("shop/", views.shop, name="rewards-shop"),
    path("shop/<int:pk>/redeem/", views.shop_redeem, name="rewards-shop-redeem"),
    path("merchant/", views.merchant, name="rewards-merchant"),
    path("leaderboard/", views.leaderboard, name="rewards-leaderboard"),
]
