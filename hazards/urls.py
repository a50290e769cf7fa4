"""Pages of the hazards app (mounted at the site root by govern.urls)."""

urlpatterns: list = []
