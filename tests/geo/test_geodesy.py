"""Haversine distances and the local metric projection."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.geodesy import LocalProjection, haversine_m

lats = st.floats(min_value=-80, max_value=80)
lons = st.floats(min_value=-179, max_value=179)
offsets = st.floats(min_value=-0.15, max_value=0.15)  # within ~15 km


def test_known_distances():
    # one degree of latitude is about 111.2 km; Gothenburg central station to Järntorget ~1.35 km
    assert haversine_m(11.97, 57.0, 11.97, 58.0) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(11.9746, 57.7089, 11.9531, 57.6995) == pytest.approx(1_600, rel=0.1)
    assert haversine_m(0, 0, 0, 0) == 0


@settings(max_examples=60, deadline=None)
@given(lats, lons, offsets, offsets)
def test_haversine_is_symmetric_and_non_negative(lat, lon, dlat, dlon):
    a = haversine_m(lon, lat, lon + dlon, lat + dlat)
    b = haversine_m(lon + dlon, lat + dlat, lon, lat)
    assert a >= 0 and a == pytest.approx(b, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(lats, lons, offsets, offsets)
def test_local_projection_round_trips_and_matches_haversine_nearby(lat, lon, dlat, dlon):
    proj = LocalProjection(lon, lat)
    xy = proj.to_xy([lon + dlon], [lat + dlat])
    back = proj.to_lonlat(xy)[0]
    assert back == pytest.approx([lon + dlon, lat + dlat], abs=1e-9)
    planar = float(np.hypot(*xy[0]))
    true = float(haversine_m(lon, lat, lon + dlon, lat + dlat))
    assert planar == pytest.approx(true, rel=0.01, abs=0.5)
