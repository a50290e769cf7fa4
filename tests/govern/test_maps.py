"""The base-map setting (govern.maps): Tianditu with a key from the environment, AMap in GCJ-02,
OpenStreetMap as the fallback; what the pages get and which tile servers the CSP lets in."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from govern import maps

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain(settings):
    settings.MAP_BASEMAP = ""
    settings.TIANDITU_KEY = ""
    settings.MAP_TILE_URL = maps.OSM_URL
    settings.MAP_TILE_CRS = "wgs84"
    return settings


def test_openstreetmap_is_the_fallback(plain):
    assert maps.choice() == "osm"
    plain.MAP_BASEMAP = "tianditu"  # chosen, but without a key: it could not load
    assert maps.choice() == "osm"
    plain.MAP_BASEMAP = "no-such-map"
    assert maps.choice() == "osm"
    assert maps.tile_origins() == ["https://tile.openstreetmap.org"]


def test_tianditu_with_a_key_from_the_environment(plain):
    plain.TIANDITU_KEY = "k3y"
    assert maps.choice() == "tianditu"  # the key alone chooses it
    with translation.override("zh-hans"):
        chinese = maps.basemap()
    with translation.override("en"):
        english = maps.basemap()
    assert [layer["url"].split("/")[3] for layer in chinese.layers] == ["vec_w", "cva_w"]  # Chinese labels
    assert [layer["url"].split("/")[3] for layer in english.layers] == ["vec_w", "eva_w"]
    assert all("tk=k3y" in layer["url"] and "{s}" in layer["url"] for layer in chinese.layers)
    assert chinese.crs == "wgs84" and "天地图" in chinese.attribution
    assert maps.tile_origins() == ["https://*.tianditu.gov.cn"]


def test_amap_is_drawn_in_gcj02(plain):
    plain.MAP_BASEMAP = "amap"
    amap = maps.basemap()
    assert amap.crs == "gcj02" and "autonavi.com" in amap.layers[0]["url"]
    assert maps.tile_origins() == ["https://*.is.autonavi.com"]


def test_a_custom_source_in_either_datum(plain):
    plain.MAP_TILE_URL = "https://tiles.example.cn/{z}/{x}/{y}.png"
    plain.MAP_TILE_ATTRIBUTION = "© 示例地图"
    plain.MAP_TILE_CRS = "gcj02"
    custom = maps.basemap()
    assert (custom.name, custom.crs, custom.attribution) == ("custom", "gcj02", "© 示例地图")
    assert maps.tile_origins() == ["https://tiles.example.cn"]


def test_every_page_carries_the_configuration_the_maps_read(client, plain):
    plain.TIANDITU_KEY = "k3y"
    html = client.get("/report/").content.decode()
    start = html.index('<script id="basemap-config" type="application/json">') + len(
        '<script id="basemap-config" type="application/json">'
    )
    config = json.loads(html[start : html.index("</script>", start)])
    assert config["name"] == "tianditu" and len(config["layers"]) == 2 and config["crs"] == "wgs84"
