"""Pages of the rewards app (mounted at the site root by govern.urls)."""

urlpatterns: list = []
