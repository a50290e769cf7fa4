from django.conf import settings

from govern.roles import user_roles


def govern(request):
    return {
        "roles": user_roles(getattr(request, "user", None)),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
