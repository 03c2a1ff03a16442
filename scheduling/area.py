"""The service area as the booking API sees it: where an address is, and how far things are.

:class:`ServiceArea` wraps the street network (``geo``): it snaps an address to the driving
graph (refusing points farther than ``max_snap_m`` from any street: outside the area), names
its zone, gives driving legs between a node and a set of nodes (seconds and metres of the
fastest path, both directions), and walking distances to pickup points.

Legs cost two Dijkstra runs per new node on the whole driving graph (~6 ms each on the
Gothenburg network); they are kept in a small LRU cache per node, since the same addresses and
pickup points come back all day.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.sparse.csgraph import dijkstra

from geo.geodesy import haversine_m


class OutsideArea(ValueError):
    """An address too far from the street network to deliver to."""

    def __init__(self, lat: float, lon: float, distance_m: float, limit_m: float):
        self.distance_m = distance_m
        super().__init__(
            f"({lat:.5f}, {lon:.5f}) is {distance_m:,.0f} m from the nearest street of the service area "
            f"(at most {limit_m:,.0f} m); check the coordinates (lat first, then lon)"
        )


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    node: int  # driving-graph node
    zone: str
    snap_m: float  # metres from the address to the street


@dataclass(frozen=True)
class PickupSite:
    """A pickup point as offers show it: opening hours in seconds since midnight, capacity in parcels per day."""

    id: str
    name: str
    lat: float
    lon: float
    node: int
    opens: int
    closes: int
    capacity: int
    kind: str = "locker"


class ServiceArea:
    """Snapping, zones, driving legs and walking distances over one street network."""

    def __init__(self, network, zones, *, max_snap_m: float = 500.0, served_zones: Sequence[str] | None = None, cache_size: int = 128):
        self.network = network
        self.zones = zones
        self.max_snap_m = max_snap_m
        self.served_zones = set(served_zones) if served_zones is not None else set(zones.ids)
        from geo.matrix import packed_weights

        packed = packed_weights(network.time_s, network.length_m)
        if packed is None:
            raise ValueError("the network is too large for packed travel weights; legs need the packed form")
        self._forward, self._bits = packed
        self._backward = self._forward.T.tocsr()
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # -- where -------------------------------------------------------------------------------
    def locate(self, lat: float, lon: float) -> Location:
        """Snap an address; :class:`OutsideArea` if it is too far from any street."""
        if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise OutsideArea(lat, lon, float("inf"), self.max_snap_m)
        nodes, dist = self.network.snapper("drive").nearest(np.array([lat]), np.array([lon]))
        if not dist[0] <= self.max_snap_m:
            raise OutsideArea(lat, lon, float(dist[0]), self.max_snap_m)
        return Location(lat, lon, int(nodes[0]), self.zones.zone_of(lat, lon), float(dist[0]))

    def is_served(self, zone: str) -> bool:
        return zone in self.served_zones

    # -- driving -----------------------------------------------------------------------------
    def rows(self, node: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(out_s, out_m, in_s, in_m)`` over every driving node: from ``node`` and to ``node`` (int32)."""
        return self._rows(int(node))

    def _rows(self, node: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            hit = self._cache.get(node)
            if hit is not None:
                self._cache.move_to_end(node)
                return hit
        rows = []
        for graph in (self._forward, self._backward):
            w = dijkstra(graph, directed=True, indices=node)
            unreachable = ~np.isfinite(w)
            w[unreachable] = 0
            w_int = w.astype(np.int64)
            seconds = np.rint((w_int >> self._bits) / 1000.0)
            metres = np.rint((w_int & ((1 << self._bits) - 1)) / 10.0)
            # An unreachable node is as good as very far: no window will ever fit it.
            seconds[unreachable] = 10**7
            metres[unreachable] = 10**7
            rows += [seconds.astype(np.int32), metres.astype(np.int32)]
        out = (rows[0], rows[1], rows[2], rows[3])
        with self._lock:
            self._cache[node] = out
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out

    def legs(self, node: int, others: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(to_s, to_m, from_s, from_m)``: fastest driving from ``node`` to each of ``others`` and back.

        Seconds and metres, int64 arrays aligned with ``others``.
        """
        others = np.asarray(others, dtype=np.int64)
        out_s, out_m, in_s, in_m = self._rows(int(node))
        return (
            out_s[others].astype(np.int64),
            out_m[others].astype(np.int64),
            in_s[others].astype(np.int64),
            in_m[others].astype(np.int64),
        )

    # -- walking -----------------------------------------------------------------------------
    def walking_m(self, lat: float, lon: float, sites: Sequence[PickupSite], reach_m: float) -> list[tuple[PickupSite, float]]:
        """Sites within ``reach_m`` walking metres of the address, nearest first."""
        if not sites:
            return []
        lats = np.array([s.lat for s in sites])
        lons = np.array([s.lon for s in sites])
        crow = haversine_m(lon, lat, lons, lats)
        near = [s for s, d in zip(sites, crow) if d <= reach_m]  # walking is never shorter than the crow flies
        if not near:
            return []
        from geo.catchment import walking_distance

        walk = walking_distance(self.network, [(lat, lon)], [(s.lat, s.lon) for s in near], max_distance_m=self.max_snap_m, limit_m=reach_m)[0]
        found = [(s, float(d)) for s, d in zip(near, walk) if np.isfinite(d) and d <= reach_m]
        return sorted(found, key=lambda x: x[1])
