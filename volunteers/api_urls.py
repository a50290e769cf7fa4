"""REST endpoints of the volunteers app (mounted under /api/v1/ by govern.urls)."""

urlpatterns: list = []
