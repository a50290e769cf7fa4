"""REST endpoints of the rewards app (mounted under /api/v1/ by govern.urls)."""

urlpatterns: list = []
