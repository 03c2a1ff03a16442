"""Hand-made street grids for the graph tests: points on a small lon/lat grid and ways along them."""

from __future__ import annotations

import numpy as np

from geo.ways import Way

STEP = 0.001  # degrees, about 60 m east-west and 110 m north-south at 57.7 N
LON0, LAT0 = 11.97, 57.70


def pt(x: float, y: float) -> list[float]:
    """The grid point ``x`` steps east and ``y`` steps north of the origin, as ``[lon, lat]``."""
    return [LON0 + x * STEP, LAT0 + y * STEP]


def way(i: int, points, **tags) -> Way:
    """Way ``i`` through ``points``, a residential street unless ``tags`` say otherwise."""
    return Way(i, {"highway": "residential", **tags}, np.array(points, dtype=float))


def node_at(graph, p) -> int:
    """The one node of ``graph`` at point ``p``."""
    hits = np.flatnonzero(
        np.isclose(graph.lon, p[0], rtol=0, atol=1e-7) & np.isclose(graph.lat, p[1], rtol=0, atol=1e-7)
    )
    assert hits.size == 1, f"no single node at {p}"
    return int(hits[0])
