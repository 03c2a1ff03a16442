"""Deriving the compact ways file from an OSM GeoJSON export."""

import gzip
import json

import numpy as np
import pytest

from geo.build_default_city import build
from geo.osm_rules import KEPT_TAGS
from geo.ways import FORMAT, ODBL_NOTICE, read_ways

EXPORT = {
    "type": "FeatureCollection",
    "generator": "overpass-turbo",
    "timestamp": "2016-12-27T10:04:02Z",
    "features": [
        {
            "type": "Feature",
            "properties": {
                "@id": "way/1",
                "highway": "residential",
                "name": "Storgatan",
                "surface": "asphalt",
                "oneway": "yes",
            },
            "geometry": {"type": "LineString", "coordinates": [[11.12345678, 57.1], [11.2, 57.2]]},
        },
        {
            "type": "Feature",
            "properties": {"@id": "way/2", "highway": "construction"},
            "geometry": {"type": "LineString", "coordinates": [[11.0, 57.0], [11.1, 57.1]]},
        },
        {
            "type": "Feature",
            "properties": {"@id": "way/3", "highway": "pedestrian", "name": "Torget"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[11.0, 57.0], [11.01, 57.0], [11.01, 57.01], [11.0, 57.0]]],
            },
        },
    ],
}


@pytest.fixture()
def derived(tmp_path):
    src = tmp_path / "export.geojson.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        json.dump(EXPORT, fh)
    return build(src, tmp_path / "city.ways.json.gz")


def test_derived_file_keeps_only_used_tags_and_rounds(derived):
    ways = read_ways(derived)
    assert [w.id for w in ways.ways] == [1, 3]  # construction dropped
    storgatan = ways.ways[0]
    assert dict(storgatan.tags) == {"highway": "residential", "name": "Storgatan", "oneway": "yes"}
    assert storgatan.coords[0].tolist() == [11.123457, 57.1]
    assert set(storgatan.tags) <= set(KEPT_TAGS)


def test_polygons_become_closed_area_rings(derived):
    torget = read_ways(derived).ways[1]
    assert torget.tags["area"] == "yes"
    assert np.array_equal(torget.coords[0], torget.coords[-1])


def test_header_carries_notice_and_provenance(derived):
    with gzip.open(derived, "rt", encoding="utf-8") as fh:
        doc = json.load(fh)
    assert doc["format"] == FORMAT
    assert doc["notice"] == ODBL_NOTICE
    prov = doc["provenance"]
    assert prov["source_file"] == "export.geojson.gz"
    assert "2016-12-27T10:04:02Z" in prov["export"]
    assert prov["bbox_lon_lat"] == [11.0, 57.0, 11.2, 57.2]
    assert len(prov["source_sha256_uncompressed"]) == 64


def test_rebuild_is_byte_identical(derived, tmp_path):
    first = derived.read_bytes()
    again = build(tmp_path / "export.geojson.gz", tmp_path / "again.ways.json.gz").read_bytes()
    assert first == again


def test_foreign_files_are_refused(tmp_path):
    bogus = tmp_path / "x.ways.json.gz"
    with gzip.open(bogus, "wt") as fh:
        json.dump({"format": "other"}, fh)
    with pytest.raises(ValueError, match="lastmile-ways"):
        read_ways(bogus)
