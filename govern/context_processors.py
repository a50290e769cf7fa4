from functools import cache

from govern import maps
from govern.navigation import Navigation
from govern.roles import user_roles


def govern(request):
    user = getattr(request, "user", None)
    # Callables: the template engine calls them only on pages that use them (maps), once each.
    basemap = cache(lambda: maps.basemap().as_json())
    return {
        "roles": user_roles(user),
        "nav": Navigation(user),
        "basemap": basemap,
        # The first tile layer and the attribution, for map elements that read data attributes.
        "map_tile_url": lambda: basemap()["layers"][0]["url"],
        "map_tile_attribution": lambda: basemap()["attribution"],
    }
