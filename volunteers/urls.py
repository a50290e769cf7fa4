"""Pages of the volunteers app (mounted at the site root by govern.urls)."""

urlpatterns: list = []
