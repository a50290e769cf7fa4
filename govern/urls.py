"""URL wiring: pages, /api/v1/, admin, i18n. Each app contributes its own urls modules."""

import os

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from govern import api, api_errors, health, home, live_api, live_views, views
from govern.open311.views import unknown_base

api_v1 = [
    path("auth/token/", api.ObtainTokenView.as_view(), name="api-token"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("grids/", api.GridListView.as_view(), name="api-grids"),
    path("grids/locate/", api.GridLocateView.as_view(), name="api-grids-locate"),
    path("notices/", live_api.NoticeCreateView.as_view(), name="api-notices"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("volunteers.api_urls")),
    path("", include("rewards.api_urls")),
    path("", include("hazards.api_urls")),
    path("", include("hazards.premises.api_urls")),
    path("", include("hazards.premises.alerts.api_urls")),
    path("", include("hazards.premises.campaigns.api_urls")),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("health/live", health.LiveView.as_view(), name="health-live"),
    path("health/ready", health.ReadyView.as_view(), name="health-ready"),
    path("", include("django_prometheus.urls")),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("live/status/", live_views.live_status, name="live-status"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", views.admin_login, name="admin-login"),  # before admin.site.urls: throttled
    path("admin/", admin.site.urls),
    path("office/", include("govern.office.urls")),
    path("api/v1/", include(api_v1)),
    path("open311/v2/", include("govern.open311.urls")),
    path("", include("volunteers.urls")),
    path("", include("rewards.urls")),
    path("", include("hazards.urls")),
    path("", include("hazards.premises.urls")),
    path("", include("hazards.premises.alerts.urls")),
    path("", include("hazards.premises.campaigns.urls")),
]

# Media are processed photos only (the upload is never stored), served with their image content
# type and a sandboxing CSP (govern.middleware). In production the proxy serves MEDIA_ROOT
# (deploy/nginx), or media live in object storage (MEDIA_S3_BUCKET) and their URLs point there;
# this route keeps a single-process deployment on the file system complete.
if not settings.MEDIA_S3_BUCKET:
    urlpatterns.append(
        path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})
    )

if os.environ.get("GOVERN_BENCH_ENDPOINTS") == "1":
    from govern.bench_views import authenticated_post, bare_upload

    urlpatterns.append(path("bench/bare-upload/", bare_upload))
    urlpatterns.append(path("bench/authenticated-post/", authenticated_post))


def page_not_found(request, exception=None):
    """handler404. Under /open311 (outside /open311/v2/, whose own catch-all answers) it is the
    GeoReport error list, so a client with a wrong base URL reads why in the format it parses;
    elsewhere JSON under /api/ and Django's page otherwise (govern.api_errors.page_not_found)."""
    if request.path == "/open311" or request.path.startswith("/open311/"):
        return unknown_base(request)
    return api_errors.page_not_found(request, exception)


handler404 = page_not_found
handler500 = "govern.error_pages.server_error"
