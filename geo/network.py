"""The road network: load a city, then snap points, compute matrices and route shapes.

>>> net = load_network("gothenburg")                   # embedded OSM data, (c) OSM contributors, ODbL
>>> nodes = net.snap([57.7089, 57.6990], [11.9746, 11.9630], labels=["depot", "c1"])
>>> duration_s, distance_m = net.travel_matrices(nodes)  # int32 seconds, int32 metres

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
from geo.graph_build import build_drive_graph, build_walk_graph, segments_from_ways
from geo.snap import DEFAULT_MAX_DISTANCE_M, Snapper
from geo.stops import TransitStop, cluster_stops, platforms_from_ways, street_names_from_ways
from geo.ways import ODBL_NOTICE, WaySet, read_ways

__all__ = ["ODBL_NOTICE", "RoadNetwork", "load_network", "DATA_DIR", "BUILD_VERSION"]

DATA_DIR = Path(__file__).parent / "data"
EMBEDDED = {"gothenburg": DATA_DIR / "gothenburg.ways.json.gz"}
BUILD_VERSION = "geo-graph-2"
"""Part of every cache key: bump when graph building changes, so old caches are ignored."""


@dataclass(eq=False)
class RoadNetwork:
    """Driving graph (directed; seconds and metres), walking graph (metres) and transit stops.

    Node ids returned by :meth:`snap` and accepted by the other methods index the driving graph's
    ``lon``/``lat`` arrays. Walking-graph nodes are internal to :mod:`geo.catchment`.
    """

    name: str
    key: str
    drive: Graph
    walk: Graph
    stops: tuple[TransitStop, ...]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    notice: str = ODBL_NOTICE

    def __repr__(self) -> str:
        return (
            f"RoadNetwork(name={self.name!r}, drive={self.drive.n_nodes} nodes/{self.drive.n_edges} edges, "
            f"walk={self.walk.n_nodes} nodes, stops={len(self.stops)}, key={self.key[:24]!r})"
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

    # -- driving ---------------------------------------------------------------------------
    def travel_matrices(self, nodes, use_cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """``(duration_s, distance_m)``, int32 ``(n, n)``, of fastest driving paths between nodes."""
        return _matrix.travel_matrices(self.time_s, self.length_m, nodes, network_key=self.key, use_cache=use_cache)

    def shortest_path_nodes(self, a: int, b: int) -> list[int]:
        """Driving-graph node ids of the fastest path from ``a`` to ``b`` (inclusive)."""
        return _matrix.shortest_path_nodes(self.time_s, a, b)

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
        arrays = {**graph_to_arrays(self.drive, "drive_"), **graph_to_arrays(self.walk, "walk_")}
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
            stops=stops,
            provenance=provenance,
            notice=notice,
        )


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
    street_lonlat, street_names = street_names_from_ways(ways)
    stops = cluster_stops(
        platforms if platforms is not None else platforms_from_ways(ways), street_lonlat, street_names
    )
    return RoadNetwork(
        name=name,
        key=key,
        drive=drive,
        walk=walk,
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
