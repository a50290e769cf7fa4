"""The background map: which tiles every map page draws, chosen by `MAP_BASEMAP`.

- "tianditu" (天地图, the national platform; needs `TIANDITU_KEY`, a free browser key from
  console.tianditu.gov.cn). Its web-mercator tiles are CGCS2000, which agrees with WGS-84 to
  centimetres, so our coordinates go on it unchanged. Chosen by default when the key is set.
- "amap" (高德). Its tiles are drawn in GCJ-02, China's obfuscated datum, a few hundred metres off
  WGS-84: the browser shifts everything it draws (static/js/hazards/basemap.js) and shifts taps
  back, so stored coordinates stay WGS-84.
- "osm" (OpenStreetMap): the fallback; slow or unreachable from mainland China.
- "custom": `MAP_TILE_URL` / `MAP_TILE_ATTRIBUTION`, drawn in `MAP_TILE_CRS` ("wgs84" or "gcj02").
  A `MAP_TILE_URL` other than OpenStreetMap's means "custom" unless `MAP_BASEMAP` says otherwise.

Pages stay usable without any tiles: the grid outlines, pins and lists come from our own server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang={lang}&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
CHOICES = ("tianditu", "amap", "osm", "custom")


@dataclass(frozen=True)
class Basemap:
    name: str
    layers: list[dict] = field(default_factory=list)  # {url, subdomains, maxZoom}, bottom first
    attribution: str = ""
    crs: str = "wgs84"  # or "gcj02": markers are shifted in the browser

    def as_json(self) -> dict:
        return {"name": self.name, "layers": self.layers, "attribution": self.attribution, "crs": self.crs}


def choice() -> str:
    """The configured base map, falling back to OSM when Tianditu is chosen without a key."""
    name = (getattr(settings, "MAP_BASEMAP", "") or "").strip().lower()
    if not name:
        if getattr(settings, "TIANDITU_KEY", ""):
            name = "tianditu"
        elif getattr(settings, "MAP_TILE_URL", OSM_URL) != OSM_URL:
            name = "custom"
        else:
            name = "osm"
    if name == "tianditu" and not getattr(settings, "TIANDITU_KEY", ""):
        return "osm"
    return name if name in CHOICES else "osm"


def _layers(name: str, *, english: bool) -> list[dict]:
    """The tile layers of a base map, bottom first: {url, subdomains, maxZoom}."""
    if name == "tianditu":
        labels = "eva" if english else "cva"  # the annotation layer: English or Chinese place names
        return [
            {
                "url": TIANDITU_URL.replace("{layer}", layer).replace("{key}", settings.TIANDITU_KEY),
                "subdomains": "01234567",
                "maxZoom": 18,
            }
            for layer in ("vec", labels)
        ]
    if name == "amap":
        return [{"url": AMAP_URL.replace("{lang}", "en" if english else "zh_cn"), "subdomains": "1234", "maxZoom": 18}]
    if name == "custom":
        return [{"url": getattr(settings, "MAP_TILE_URL", "") or OSM_URL, "subdomains": "abc", "maxZoom": 19}]
    return [{"url": OSM_URL, "subdomains": "abc", "maxZoom": 19}]


def basemap() -> Basemap:
    name = choice()
    layers = _layers(name, english=(get_language() or "").startswith("en"))
    if name == "tianditu":
        return Basemap(name, layers, _("© Tianditu (National Platform for Common GeoSpatial Information Services)"))
    if name == "amap":
        return Basemap(name, layers, _("© AMap"), crs="gcj02")
    if name == "custom":
        crs = "gcj02" if getattr(settings, "MAP_TILE_CRS", "wgs84") == "gcj02" else "wgs84"
        return Basemap(name, layers, getattr(settings, "MAP_TILE_ATTRIBUTION", ""), crs)
    return Basemap(name, layers, _("© OpenStreetMap contributors"))


def tile_origins() -> list[str]:
    """The origins the pages load tiles from (for the Content-Security-Policy's img-src); a
    `{s}` subdomain becomes a wildcard host."""
    origins = []
    name = choice()
    for layer in _layers(name, english=False) + _layers(name, english=True):
        parts = urlsplit(layer["url"].replace("{s}", "x"))
        if not parts.scheme or not parts.netloc:
            continue
        host = parts.netloc
        if "{s}" in layer["url"].split("/")[2]:
            host = "*." + host.split(".", 1)[1]
        origins.append(f"{parts.scheme}://{host}")
    return sorted(set(origins))
