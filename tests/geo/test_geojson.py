"""GeoJSON builders: lon/lat order, 6-decimal rounding, closed polygons."""

import json

import shapely.geometry as sg

from geo.geojson import feature_collection, line_feature, point_feature, polygon_feature, shapely_feature
from geo.network import ODBL_NOTICE


def test_point_is_lon_lat_and_rounded():
    f = point_feature(11.97456789, 57.70891234, {"name": "depot"}, id="d1")
    assert f == {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [11.974568, 57.708912]},
        "properties": {"name": "depot"},
        "id": "d1",
    }


def test_line_and_collection_serialise():
    line = line_feature([(11.0, 57.0), (11.1234567, 57.7654321)])
    assert line["geometry"]["coordinates"][1] == [11.123457, 57.765432]
    fc = feature_collection([line], attribution=ODBL_NOTICE)
    assert fc["type"] == "FeatureCollection" and fc["attribution"] == ODBL_NOTICE
    assert json.loads(json.dumps(fc)) == fc


def test_polygon_rings_are_closed():
    f = polygon_feature([[(0, 0), (1, 0), (1, 1)]])
    ring = f["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 4


def test_shapely_geometries_round_trip():
    poly = sg.Polygon([(11.9, 57.7), (11.91, 57.7), (11.91, 57.71)]).buffer(0.0001)
    f = shapely_feature(poly, {"r": 1})
    back = sg.shape(f["geometry"])
    assert back.symmetric_difference(poly).area < 1e-3 * poly.area  # only 6-decimal rounding
