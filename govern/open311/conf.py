"""Open311 settings, each overridable in Django settings under the same name."""

from __future__ import annotations

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


# When the behaviour of /open311/v2/ last changed (discovery's `changeset`).
CHANGESET = "2026-11-23T00:00:00+08:00"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DESCRIPTION_MAX = 4000  # GeoReport v2's limit for `description`
MEDIA_URL_MAX = 500
NAME_MAX = 100
MAX_RESULTS = 1000  # GeoReport v2: at most 1000 requests per answer
DEFAULT_WINDOW_DAYS = 90  # GeoReport v2: no date filter = the last 90 days


def contact() -> str:
    return _get("OPEN311_CONTACT", "Fenhu community safety command room (汾湖社区安全指挥室)")


def key_service() -> str:
    return _get(
        "OPEN311_KEY_SERVICE",
        "API keys are issued per client organisation by the district's back office (admin: API clients).",
    )


def endpoint_type() -> str:
    """`production` or `test` in discovery: a DEBUG server announces itself as a test endpoint."""
    return _get("OPEN311_ENDPOINT_TYPE", "test" if settings.DEBUG else "production")


def public_detail() -> bool:
    """Whether GET requests shows everyone the description, address, exact point and photo.

    Off by default, as on govern's own public pages (tracking page, map): reports name
    businesses and homes, so the public sees the category, status, notes, the responsible grid
    and a point rounded to ≈100 m. A client's own reports (its api_key sent along) are always
    shown in full to that client.
    """
    return bool(_get("OPEN311_PUBLIC_DETAIL", False))
