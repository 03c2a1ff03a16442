"""The road network: load a city, then snap points, compute matrices and route shapes.

>>> net = load_network("gothenburg")                   # embedded OSM data, (c) OSM contributors, ODbL
>>> nodes = net.snap([57.7089, 57.6990], [11.9746, 11.9630], labels=["depot", "c1"])
>>> duration_s, distance_m = net.travel_matrices(nodes)  # int32 seconds, int32 metres
>>> bike_s, bike_m = net.travel_matrices(nodes, profile="cycle")  # cargo bike, same driving node ids
>>> peak_s, peak_m = net.travel_matrices(nodes, speed_factors={"primary": 0.65, "residential": 0.9})  # rush hour

``source`` is ``"gothenburg"`` (the file shipped in ``geo/data``), the path of a derived
``*.ways.json.gz`` file (see :mod:`geo.build_default_city`) or an OpenStreetMap ``.osm.pbf``
extract. Built graphs are cached in ``$LASTMILE_CACHE_DIR`` (default ``~/.cache/lastmile``)
under the source file's hash, and memoised per process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from geo import matrix as _matrix
from geo.cache import cache_dir, file_sha1, load_npz, save_npz
from geo.graph import Graph, graph_from_arrays, graph_to_arrays
from geo.geodesy import haversine_m
from geo.graph_build import (
    build_cycle_graph,
    build_drive_graph,
    build_walk_graph,
    coordinate_keys,
    group_time_weight,
    segments_from_ways,
)
from geo.osm_rules import validate_speed_factors
from geo.snap import DEFAULT_MAX_DISTANCE_M, Snapper
from geo.stops import TransitStop, cluster_stops, platforms_from_ways, street_names_from_ways
from geo.ways import ODBL_NOTICE, WaySet, read_ways

__all__ = ["ODBL_NOTICE", "RoadNetwork", "load_network", "DATA_DIR", "BUILD_VERSION", "PROFILES"]

DATA_DIR = Path(__file__).parent / "data"
EMBEDDED = {"gothenburg": DATA_DIR / "gothenburg.ways.json.gz"}
BUILD_VERSION = "geo-graph-4"
"""Part of every cache key: bump when graph building changes, so old caches are ignored."""

PROFILES = ("drive", "cycle")
"""Travel profiles of :meth:`RoadNetwork.travel_matrices`: delivery van, cargo bike."""

MAX_CYCLE_MAPPING_M = 300.0
"""Farthest a driving node may lie from the cycle node standing in for it (metres)."""


@dataclass(eq=False)
class RoadNetwork:
    """Driving graph (directed; seconds and metres), walking graph (metres), cycle graph
    (directed; cargo-bike seconds and metres) and transit stops.

    Node ids returned by :meth:`snap` and accepted by the other methods index the driving graph's
    ``lon``/``lat`` arrays. Walking-graph nodes are internal to :mod:`geo.catchment`; cycle-graph
    nodes are internal too: :meth:`cycle_nodes` maps driving nodes onto them.
    """

    name: str
    key: str
    drive: Graph
    walk: Graph
    cycle: Graph
    stops: tuple[TransitStop, ...]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    notice: str = ODBL_NOTICE

    def __repr__(self) -> str:
        return (
            f"RoadNetwork(name={self.name!r}, drive={self.drive.n_nodes} nodes/{self.drive.n_edges} edges, "
            f"walk={self.walk.n_nodes} nodes, cycle={self.cycle.n_nodes} nodes/{self.cycle.n_edges} edges, "
            f"stops={len(self.stops)}, key={self.key[:24]!r})"
        )

    # -- basic facts -----------------------------------------------------------------------
    @property
    def lon(self) -> np.ndarray:
        """Longitudes (degrees) of driving-graph nodes."""
        return self.drive.lon

    @property
    def lat(self) -> np.ndarray:
        """Latitudes (degrees) of driving-graph nodes."""
        return self.drive.lat

    @property
    def n_nodes(self) -> int:
        return self.drive.n_nodes

    @property
    def time_s(self) -> sp.csr_matrix:
        """Driving edge travel times, seconds (CSR, ``[u, v]`` is u -> v)."""
        return self.drive.weights["time_s"]

    @property
    def length_m(self) -> sp.csr_matrix:
        """Driving edge lengths, metres (same structure as :attr:`time_s`)."""
        return self.drive.weights["length_m"]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """``(min_lon, min_lat, max_lon, max_lat)`` of the driving graph's nodes, degrees."""
        return (float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max()))

    # -- snapping --------------------------------------------------------------------------
    @cached_property
    def _drive_snapper(self) -> Snapper:
        return Snapper(self.drive)

    @cached_property
    def _walk_snapper(self) -> Snapper:
        return Snapper(self.walk)

    def snapper(self, graph: str = "drive") -> Snapper:
        """The KD-tree snapper of the ``"drive"`` or ``"walk"`` graph."""
        if graph == "drive":
            return self._drive_snapper
        if graph == "walk":
            return self._walk_snapper
        raise ValueError(f"graph must be 'drive' or 'walk', got {graph!r}")

    def snap(
        self,
        lats,
        lons,
        labels: Sequence | None = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
        graph: str = "drive",
    ) -> np.ndarray:
        """Nearest node id (int64) per point; :class:`geo.snap.SnapError` if any is too far/invalid."""
        return self.snapper(graph).snap(lats, lons, labels=labels, max_distance_m=max_distance_m)

    # -- driving and cycling -----------------------------------------------------------------
    def travel_matrices(
        self,
        nodes,
        use_cache: bool = True,
        profile: str = "drive",
        speed_factors: Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(duration_s, distance_m)``, int32 ``(n, n)``, of fastest paths between driving nodes.

        ``profile="drive"`` (a delivery van on the driving graph) or ``"cycle"`` (a cargo bike on
        the cycle graph): the same driving-graph node ids (from :meth:`snap`) either way, the
        cycle profile routing between the cycle nodes that :meth:`cycle_nodes` maps them to.

        ``speed_factors`` (drive only) maps road class groups
        (:data:`geo.osm_rules.ROAD_CLASS_GROUPS`) to a share of free-flow speed, e.g. a morning peak
        ``{"motorway": 0.55, "primary": 0.65}``; groups not given keep 1.0. Each edge's time on a
        group's roads is divided by its factor, the fastest paths are searched again under those
        times, and their seconds and metres are returned. ``None`` or all 1.0 is the free-flow
        result (same cache file); other factors are cached under their own key. Unknown groups or
        factors outside ``(0, 1.5]`` raise ``ValueError``, and so does any ``speed_factors`` with
        ``profile="cycle"``: cargo bikes are not slowed by traffic in this model.
        """
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(map(repr, PROFILES))}; got {profile!r}")
        if profile == "cycle":
            if speed_factors is not None:
                raise ValueError(
                    "speed_factors apply to the 'drive' profile only: cargo bikes are not slowed by traffic "
                    "in this model, so the 'cycle' profile takes no speed factors (pass speed_factors=None)"
                )
            weights = self.cycle.weights
            return _matrix.travel_matrices(
                weights["time_s"],
                weights["length_m"],
                self.cycle_nodes(nodes),
                network_key=f"{self.key}-cycle",
                use_cache=use_cache,
            )
        factors = validate_speed_factors(speed_factors)
        return _matrix.travel_matrices(
            self.drive_time_s(factors),
            self.length_m,
            nodes,
            network_key=self.key + speed_factors_key(factors),
            use_cache=use_cache,
        )

    def drive_time_s(self, speed_factors: Mapping[str, float] | None = None) -> sp.csr_matrix:
        """Driving edge travel times (seconds, CSR like :attr:`time_s`) under ``speed_factors``.

        Per edge: ``time_s + sum over groups of t_group * (1 / factor - 1)``, where ``t_group`` is the
        edge's seconds on that group's roads (weight ``time_s@<group>``). So an edge wholly of one
        group takes ``time_s / factor``, edges of groups without a factor keep exactly ``time_s``,
        and ``None`` or all 1.0 returns :attr:`time_s` itself. Validated as in :meth:`travel_matrices`.
        """
        factors = validate_speed_factors(speed_factors)
        if not factors:
            return self.time_s
        base = self.time_s
        data = base.data.copy()
        for group, factor in factors.items():
            name = group_time_weight(group)
            if name not in self.drive.weights:
                raise ValueError(
                    f"network {self.name!r}: the driving graph has no {name!r} weight (built before road "
                    "class groups were stored); rebuild it with load_network(..., use_cache=False)"
                )
            data += self.drive.weights[name].data * (1.0 / factor - 1.0)
        mat = sp.csr_matrix((data, base.indices, base.indptr), shape=base.shape)
        mat.has_sorted_indices = True
        return mat

    @cached_property
    def _cycle_of_drive(self) -> tuple[np.ndarray, np.ndarray]:
        """Per driving node: the cycle node standing in for it, and the metres between the two.

        A driving node that is in the cycle graph (the cycle graph keeps them as nodes, see
        :func:`geo.graph_build.build_cycle_graph`) is itself, 0 m; any other (on motorways, trunk
        roads, bike-forbidden streets) gets the nearer end of the nearest cycle street piece.
        """
        cycle_keys = coordinate_keys(self.cycle.lon, self.cycle.lat)
        order = np.argsort(cycle_keys)
        drive_keys = coordinate_keys(self.drive.lon, self.drive.lat)
        at = np.minimum(np.searchsorted(cycle_keys[order], drive_keys), len(order) - 1)
        found = cycle_keys[order[at]] == drive_keys
        mapped = np.where(found, order[at], -1).astype(np.int64)
        metres = np.zeros(self.drive.n_nodes)
        missing = np.flatnonzero(~found)
        if missing.size:
            lon, lat = self.drive.lon[missing], self.drive.lat[missing]
            nearest, _ = Snapper(self.cycle).nearest(lat, lon)
            mapped[missing] = nearest
            metres[missing] = haversine_m(lon, lat, self.cycle.lon[nearest], self.cycle.lat[nearest])
        mapped.setflags(write=False)
        metres.setflags(write=False)
        return mapped, metres

    def cycle_nodes(self, nodes, max_distance_m: float = MAX_CYCLE_MAPPING_M) -> np.ndarray:
        """Cycle-graph node id (int64) standing in for each driving node id.

        Computed once per network for all driving nodes: the cycle node at the same place or, for a
        driving node outside the cycle graph, the nearer end of the nearest cycle street. A driving
        node farther than ``max_distance_m`` from its stand-in (e.g. deep in a motorway junction)
        raises a ``ValueError`` naming the node and the distance: no cargo-bike trip starts there.
        """
        nodes = np.asarray(nodes, dtype=np.int64).ravel()
        n = self.drive.n_nodes
        if nodes.size and (nodes.min() < 0 or nodes.max() >= n):
            raise ValueError(f"node ids must be in [0, {n}), got min {nodes.min()}, max {nodes.max()}")
        if self.cycle.n_edges == 0:
            raise ValueError(f"network {self.name!r} has no connected cycle streets; the cycle profile is unavailable")
        mapped, metres = self._cycle_of_drive
        far = np.unique(nodes[metres[nodes] > max_distance_m])
        if far.size:
            items = [
                f"driving node {int(i)} (lat={self.drive.lat[i]:.6f}, lon={self.drive.lon[i]:.6f}) is "
                f"{metres[i]:,.0f} m from its stand-in cycle-graph node (nearer end of the nearest cycle street)"
                for i in far
            ]
            raise ValueError(
                f"{far.size} node(s) have no cycle street within {max_distance_m:,.0f} m (motorway or "
                "trunk road only?): " + "; ".join(items)
            )
        return mapped[nodes]

    def shortest_path_nodes(self, a: int, b: int, speed_factors: Mapping[str, float] | None = None) -> list[int]:
        """Driving-graph node ids of the fastest path from ``a`` to ``b`` (inclusive), under ``speed_factors``
        (as in :meth:`travel_matrices`; default free flow)."""
        return _matrix.shortest_path_nodes(self.drive_time_s(speed_factors), a, b)

    def route_coordinates(self, node_sequence: Sequence[int]) -> list[list[float]]:
        """``[[lon, lat], ...]`` along the streets of the fastest paths through ``node_sequence``."""
        from geo.geometry import route_linestring

        return route_linestring(self, node_sequence)

    # -- stops and walking -----------------------------------------------------------------
    def transit_stops(self, max_distance_m: float = DEFAULT_MAX_DISTANCE_M) -> list[TransitStop]:
        """Transit stops within ``max_distance_m`` of the driving network, sorted by id."""
        if not self.stops:
            return []
        lats = np.array([s.lat for s in self.stops])
        lons = np.array([s.lon for s in self.stops])
        _, dist = self._drive_snapper.nearest(lats, lons)
        return [s for s, d in zip(self.stops, dist) if d <= max_distance_m]

    def walk_distance(self, from_latlons, to_latlons, max_distance_m: float = DEFAULT_MAX_DISTANCE_M) -> np.ndarray:
        """Walking distance matrix in metres (float, ``inf`` if unreachable); see :mod:`geo.catchment`."""
        from geo.catchment import walking_distance

        return walking_distance(self, from_latlons, to_latlons, max_distance_m=max_distance_m)

    # -- persistence -----------------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {
            **graph_to_arrays(self.drive, "drive_"),
            **graph_to_arrays(self.walk, "walk_"),
            **graph_to_arrays(self.cycle, "cycle_"),
        }
        arrays["stop_id"] = np.array([s.id for s in self.stops], dtype=str)
        arrays["stop_name"] = np.array([s.name for s in self.stops], dtype=str)
        arrays["stop_lat"] = np.array([s.lat for s in self.stops], dtype=float)
        arrays["stop_lon"] = np.array([s.lon for s in self.stops], dtype=float)
        arrays["meta"] = np.array([self.name, self.key, self.notice], dtype=str)
        arrays["provenance_json"] = np.array(json.dumps(dict(self.provenance), ensure_ascii=False))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> RoadNetwork:
        name, key, notice = arrays["meta"].tolist()
        provenance = json.loads(str(arrays["provenance_json"])) if "provenance_json" in arrays else {}
        stops = tuple(
            TransitStop(str(i), str(n), float(la), float(lo))
            for i, n, la, lo in zip(arrays["stop_id"], arrays["stop_name"], arrays["stop_lat"], arrays["stop_lon"])
        )
        return cls(
            name=name,
            key=key,
            drive=graph_from_arrays(dict(arrays), "drive_"),
            walk=graph_from_arrays(dict(arrays), "walk_"),
            cycle=graph_from_arrays(dict(arrays), "cycle_"),
            stops=stops,
            provenance=provenance,
            notice=notice,
        )


def speed_factors_key(factors: Mapping[str, float]) -> str:
    """Cache-key suffix of validated factors (:func:`geo.osm_rules.validate_speed_factors`); ``""`` for none."""
    if not factors:
        return ""
    return "-speed-" + ",".join(f"{group}={float(factor)!r}" for group, factor in factors.items())


def build_network(way_set: WaySet, name: str, key: str, platforms=None) -> RoadNetwork:
    """Build a :class:`RoadNetwork` from way records (``platforms`` default: the platform ways)."""
    ways = way_set.ways
    if not ways:
        raise ValueError(f"network {name!r}: the source holds no highway ways")
    seg = segments_from_ways(ways)
    drive = build_drive_graph(ways, seg)
    walk = build_walk_graph(ways, seg)
    if drive.n_nodes < 2 or walk.n_nodes < 2:
        raise ValueError(
            f"network {name!r}: too few connected streets (driving graph {drive.n_nodes} nodes, "
            f"walking graph {walk.n_nodes} nodes); is the extract the right area?"
        )
    # no size check: a network without cycle streets still drives; cycle_nodes() then refuses
    cycle = build_cycle_graph(ways, seg, pinned_lonlat=np.column_stack([drive.lon, drive.lat]))
    street_lonlat, street_names = street_names_from_ways(ways)
    stops = cluster_stops(
        platforms if platforms is not None else platforms_from_ways(ways), street_lonlat, street_names
    )
    return RoadNetwork(
        name=name,
        key=key,
        drive=drive,
        walk=walk,
        cycle=cycle,
        stops=tuple(stops),
        provenance=dict(way_set.provenance),
        notice=way_set.notice,
    )


def resolve_source(source: str | Path) -> tuple[str, Path]:
    """``(name, path)`` for an embedded city name or a file path."""
    if isinstance(source, str) and source.lower() in EMBEDDED:
        return source.lower(), EMBEDDED[source.lower()]
    path = Path(source).expanduser()
    if not path.is_file():
        known = ", ".join(sorted(EMBEDDED))
        raise FileNotFoundError(
            f"network source {str(source)!r} is neither an embedded city ({known}) nor an existing file"
        )
    name = path.name
    for suffix in (".osm.pbf", ".pbf", ".ways.json.gz", ".ways.json", ".json.gz", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name, path


def _is_pbf(path: Path) -> bool:
    return path.name.endswith(".pbf")


_MEMO: dict[str, RoadNetwork] = {}
_MEMO_LOCK = threading.Lock()


def load_network(source: str | Path = "gothenburg", use_cache: bool = True) -> RoadNetwork:
    """Load (build or fetch from cache) the road network of ``source``; see the module docstring."""
    name, path = resolve_source(source)
    key = f"{BUILD_VERSION}-{file_sha1(path)}"
    with _MEMO_LOCK:
        if use_cache and key in _MEMO:
            return _MEMO[key]
    cache_path = cache_dir() / f"network-{name}-{key}.npz"
    arrays = load_npz(cache_path) if use_cache else None
    if arrays is not None:
        net = RoadNetwork.from_arrays(arrays)
    else:
        if _is_pbf(path):
            from geo.pbf import read_pbf

            way_set, platforms = read_pbf(path)
            net = build_network(way_set, name, key, platforms)
        else:
            net = build_network(read_ways(path), name, key)
        if use_cache:
            save_npz(cache_path, net.to_arrays())
    if use_cache:
        with _MEMO_LOCK:
            _MEMO.setdefault(key, net)
            net = _MEMO[key]
    return net
