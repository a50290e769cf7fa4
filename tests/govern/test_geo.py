import pytest

from govern.geo import bbox_around, haversine_m, parse_bbox, parse_point, polygon_from_geojson
from govern.selectors import grid_for_point
from tests.factories import make_grid, square


@pytest.mark.django_db
class TestGridForPoint:
    def test_inside_point_finds_its_grid(self):
        grid = make_grid(west=120.80, south=30.90, size=0.01)
        assert grid_for_point(30.905, 120.805) == grid

    def test_point_on_an_edge_belongs_to_the_grid(self):
        grid = make_grid(west=120.80, south=30.90, size=0.01)
        assert grid_for_point(30.90, 120.805) == grid  # south edge
        assert grid_for_point(30.91, 120.81) == grid  # north-east corner

    def test_shared_edge_is_stable_lowest_id_wins(self):
        west = make_grid(west=120.80, south=30.90, size=0.01)
        make_grid(west=120.81, south=30.90, size=0.01)
        assert grid_for_point(30.905, 120.81) == west

    def test_outside_every_grid_is_none(self):
        make_grid(west=120.80, south=30.90, size=0.01)
        assert grid_for_point(30.95, 120.805) is None
        assert grid_for_point(-30.905, -120.805) is None

    def test_inside_bbox_but_outside_non_rectangular_polygon(self):
        from govern.services import grid_save
        from tests.factories import CommunityFactory

        triangle = {
            "type": "Polygon",
            "coordinates": [[[120.80, 30.90], [120.82, 30.90], [120.80, 30.92], [120.80, 30.90]]],
        }
        grid = grid_save(community=CommunityFactory(), code="tri", name="三角", boundary=triangle)
        assert grid_for_point(30.901, 120.801) == grid
        assert grid_for_point(30.919, 120.819) is None  # in the bbox, beyond the hypotenuse

    def test_bbox_and_centre_are_cached_from_the_boundary(self):
        grid = make_grid(west=120.80, south=30.90, size=0.01)
        assert (grid.min_longitude, grid.min_latitude) == pytest.approx((120.80, 30.90))
        assert (grid.max_longitude, grid.max_latitude) == pytest.approx((120.81, 30.91))
        assert (grid.center_latitude, grid.center_longitude) == pytest.approx((30.905, 120.805))


def test_invalid_boundaries_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="GeoJSON Polygon"):
        polygon_from_geojson({"type": "Point", "coordinates": [1, 2]})
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(ValueError, match="self-intersecting"):
        polygon_from_geojson(bowtie)
    assert polygon_from_geojson(square(120.8, 30.9)).area > 0


def test_haversine_and_bbox_around():
    # One degree of latitude is about 111.2 km.
    assert haversine_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(111_195, rel=1e-3)
    box = bbox_around(30.9, 120.8, 1000)
    assert haversine_m(30.9, 120.8, box.max_lat, 120.8) == pytest.approx(1000, rel=1e-3)
    assert haversine_m(30.9, 120.8, 30.9, box.max_lng) == pytest.approx(1000, rel=1e-3)


@pytest.mark.parametrize("raw", ["1,2,3", "a,b,c,d", "0,0,200,0", "2,2,1,1", "nan,0,1,1"])
def test_parse_bbox_rejects(raw):
    with pytest.raises(ValueError):
        parse_bbox(raw)


@pytest.mark.parametrize("raw", ["1", "x,y", "91,0", "0,181", "inf,0"])
def test_parse_point_rejects(raw):
    with pytest.raises(ValueError):
        parse_point(raw)
