"""A regular grid of named zones over a network's area (deterministic, no data needed).

The grid spans the bounding box of the driving-graph nodes. Zone ``Z-r-c`` is row ``r`` counted
from the north (1 = northernmost) and column ``c`` from the west (1 = westernmost). Cells holding
no driving node (water, forest) are dropped; :meth:`Zones.zone_of` still answers for any valid
point by falling back to the nearest kept zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.geojson import feature_collection, polygon_feature
from geo.ways import ODBL_NOTICE


@dataclass(frozen=True)
class Zone:
    """One grid cell: id, 1-based row (from north) and column (from west), bounds in degrees."""

    id: str
    row: int
    col: int
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def center(self) -> tuple[float, float]:
        """``(lat, lon)`` of the cell centre."""
        return (0.5 * (self.min_lat + self.max_lat), 0.5 * (self.min_lon + self.max_lon))


@dataclass(frozen=True)
class Zones:
    """The kept zones of an ``n_rows x n_cols`` grid over ``bbox = (min_lon, min_lat, max_lon, max_lat)``."""

    zones: tuple[Zone, ...]
    n_rows: int
    n_cols: int
    bbox: tuple[float, float, float, float]

    @property
    def ids(self) -> list[str]:
        """Zone ids, north-west first, row by row."""
        return [z.id for z in self.zones]

    def __len__(self) -> int:
        return len(self.zones)

    def __getitem__(self, zone_id: str) -> Zone:
        for zone in self.zones:
            if zone.id == zone_id:
                return zone
        raise KeyError(zone_id)

    def _cells(self, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        min_lon, min_lat, max_lon, max_lat = self.bbox
        col = np.floor((lons - min_lon) / (max_lon - min_lon) * self.n_cols).astype(int)
        row = np.floor((max_lat - lats) / (max_lat - min_lat) * self.n_rows).astype(int)
        return np.clip(row, 0, self.n_rows - 1) + 1, np.clip(col, 0, self.n_cols - 1) + 1

    def zones_of(self, lats, lons) -> list[str]:
        """Zone id for each point: its grid cell, or the nearest kept zone (outside/empty cells)."""
        lats = np.atleast_1d(np.asarray(lats, dtype=float))
        lons = np.atleast_1d(np.asarray(lons, dtype=float))
        if not (np.isfinite(lats).all() and np.isfinite(lons).all()):
            raise ValueError("zone lookup needs finite latitudes and longitudes")
        rows, cols = self._cells(lats, lons)
        by_cell = {(z.row, z.col): z.id for z in self.zones}
        centers = np.array([z.center for z in self.zones])
        coslat = np.cos(np.radians(0.5 * (self.bbox[1] + self.bbox[3])))
        out = []
        for lat, lon, r, c in zip(lats, lons, rows, cols):
            zid = by_cell.get((int(r), int(c)))
            if zid is None:
                d2 = (centers[:, 0] - lat) ** 2 + ((centers[:, 1] - lon) * coslat) ** 2
                zid = self.zones[int(np.argmin(d2))].id
            out.append(zid)
        return out

    def zone_of(self, lat: float, lon: float) -> str:
        """Zone id of one point (see :meth:`zones_of`)."""
        return self.zones_of([lat], [lon])[0]

    def to_geojson(self, **members: Any) -> dict:
        """FeatureCollection of zone rectangles with ``id``, ``row``, ``col`` properties."""
        features = [
            polygon_feature(
                [[(z.min_lon, z.min_lat), (z.max_lon, z.min_lat), (z.max_lon, z.max_lat), (z.min_lon, z.max_lat)]],
                {"id": z.id, "row": z.row, "col": z.col},
                id=z.id,
            )
            for z in self.zones
        ]
        return feature_collection(features, **{"attribution": ODBL_NOTICE, **members})


def grid_zones(network, n_rows: int = 3, n_cols: int = 3, prefix: str = "Z") -> Zones:
    """Grid zones over ``network`` (anything with ``lon``/``lat`` node arrays), empty cells dropped."""
    if n_rows < 1 or n_cols < 1:
        raise ValueError(f"need at least one row and column, got {n_rows} x {n_cols}")
    lon = np.asarray(network.lon, dtype=float)
    lat = np.asarray(network.lat, dtype=float)
    bbox = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    lon_edges = np.linspace(bbox[0], bbox[2], n_cols + 1)
    lat_edges = np.linspace(bbox[3], bbox[1], n_rows + 1)  # north to south
    probe = Zones((), n_rows, n_cols, bbox)
    rows, cols = probe._cells(lat, lon)
    occupied = set(zip(rows.tolist(), cols.tolist()))
    zones = tuple(
        Zone(
            id=f"{prefix}-{r}-{c}",
            row=r,
            col=c,
            min_lon=round(float(lon_edges[c - 1]), 6),
            min_lat=round(float(lat_edges[r]), 6),
            max_lon=round(float(lon_edges[c]), 6),
            max_lat=round(float(lat_edges[r - 1]), 6),
        )
        for r in range(1, n_rows + 1)
        for c in range(1, n_cols + 1)
        if (r, c) in occupied
    )
    return Zones(zones=zones, n_rows=n_rows, n_cols=n_cols, bbox=bbox)
