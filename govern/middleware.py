"""Security headers Django does not set itself."""

from django.conf import settings

from govern.maps import tile_origins

# Pages load only our own scripts and styles (vendored, no CDN); images may come from the
# configured tile servers (govern.maps), the media bucket (MEDIA_S3_BUCKET) and data/blob URLs
# (photo previews before upload).
_TILE_ORIGIN = " ".join(tile_origins())
_MEDIA_ORIGIN = getattr(settings, "MEDIA_ORIGIN", "")
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        " ".join(["img-src 'self' data: blob:", *filter(None, [_TILE_ORIGIN, _MEDIA_ORIGIN])]),
        "connect-src 'self' ws: wss:",
        "media-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CSP
        if request.path.startswith(settings.MEDIA_URL):
            # Uploaded media are only ever images; never let a browser render them as a page.
            response["Content-Security-Policy"] = "default-src 'none'; sandbox"
            if not response.get("Content-Type", "").startswith("image/"):
                # Anything else that found its way into MEDIA_ROOT is a download, never a page.
                response["Content-Type"] = "application/octet-stream"
                response["Content-Disposition"] = "attachment"
        return response
