"""REST endpoints of the hazards app (mounted under /api/v1/ by govern.urls)."""

urlpatterns: list = []
