"""Benchmark the geo layer on Gothenburg: network load, graph sizes, 1000 x 1000 matrices.

Run from the repository root::

    python benchmarks/bench_matrix.py [--n 1000] [--source gothenburg]

Uses a fresh temporary cache directory (unless ``--keep-cache``) so "cold" really is cold.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="matrix size (nodes)")
    parser.add_argument("--source", default="gothenburg", help="network source")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-cache", action="store_true", help="use LASTMILE_CACHE_DIR as is")
    args = parser.parse_args(argv)
    if not args.keep_cache:
        os.environ["LASTMILE_CACHE_DIR"] = tempfile.mkdtemp(prefix="lastmile-bench-")

    import numpy as np

    import geo.network as network

    t0 = time.perf_counter()
    net = network.load_network(args.source)
    t_cold = time.perf_counter() - t0
    network._MEMO.clear()
    t0 = time.perf_counter()
    net = network.load_network(args.source)
    t_warm = time.perf_counter() - t0
    print(f"network {net.name}: build {t_cold:.2f} s, load from npz cache {t_warm:.3f} s")
    print(f"  driving graph: {net.n_nodes:,} nodes, {net.time_s.nnz:,} directed edges")
    print(f"  walking graph: {net.walk.n_nodes:,} nodes, {net.walk.weights['length_m'].nnz // 2:,} edges")

    nodes = np.random.default_rng(args.seed).choice(net.n_nodes, min(args.n, net.n_nodes), replace=False)
    t0 = time.perf_counter()
    net.snap(net.lat[nodes], net.lon[nodes])
    print(f"snap {len(nodes)} points (KD-tree build included): {time.perf_counter() - t0:.3f} s")
    print(f"  transit stops: {len(net.transit_stops())}")
    t0 = time.perf_counter()
    dur, dist = net.travel_matrices(nodes)
    t_matrix = time.perf_counter() - t0
    t0 = time.perf_counter()
    dur2, dist2 = net.travel_matrices(nodes)
    t_hit = time.perf_counter() - t0
    assert np.array_equal(dur, dur2) and np.array_equal(dist, dist2)
    print(f"matrix {len(nodes)} x {len(nodes)}: cold {t_matrix:.2f} s, cached {t_hit:.3f} s")
    print(f"  max duration {dur.max()} s, max distance {dist.max()} m, asymmetric pairs {(dur != dur.T).mean():.0%}")
    t0 = time.perf_counter()
    coords = net.route_coordinates(list(nodes[:20]))
    print(f"route geometry through 20 stops: {len(coords)} points, {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
