"""Derive a scenario's customers and pickup-point candidates from its street network.

Customers are placed along residential streets, so their density follows where people
live; each gets a house number on its street, a zone, a member tier, a preferred slot and a
pickup-point habit. Pickup-point candidates are the named public-transport stops; a few,
spread over the city, are open on day one. The result is two CSV files a user can edit.

Run ``lastmile scenario build SCENARIO`` to (re)write them; the same seed writes the same files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from geo.geodesy import haversine_m
from geo.network import RoadNetwork, resolve_source
from geo.ways import Way, read_ways
from geo.zones import grid_zones
from scenarios.scenario import Scenario

# Residential streets and their share of homes per metre of street.
HOME_STREETS = {"residential": 1.0, "living_street": 1.0, "unclassified": 0.4, "tertiary": 0.5, "secondary": 0.3}

# Which slot customers prefer when free to choose: evenings lead (after work), then mornings.
SLOT_POPULARITY = [0.12, 0.10, 0.10, 0.13, 0.22, 0.33]

REACHABLE_GAP_M = 150.0  # a home farther than this from a drivable street is resampled
WALK_REACH_M = 1000.0  # a pickup point farther than this on foot is not considered
PICKUP_AFFINITY_MEAN = 0.45  # among customers with a point in reach; tuned to about 15 % pickup share


def street_ways(source: str) -> list[Way]:
    """The way records of a network source (embedded city name, derived file or .osm.pbf)."""
    _, path = resolve_source(source)
    if path.name.endswith(".pbf"):
        from geo.pbf import read_pbf

        return read_pbf(path)[0].ways
    return read_ways(path).ways


def sample_street_points(ways: list[Way], n: int, rng: np.random.Generator) -> list[tuple[float, float, str]]:
    """``n`` (lat, lon, street name) points on named home streets, uniform per weighted metre."""
    segments = []  # (lon0, lat0, lon1, lat1, name, weighted length)
    for way in ways:
        weight = HOME_STREETS.get(way.tags.get("highway", ""))
        name = way.tags.get("name")
        if weight is None or not name:
            continue
        c = way.coords
        lengths = haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
        for k, length in enumerate(lengths):
            if length > 0:
                segments.append((c[k, 0], c[k, 1], c[k + 1, 0], c[k + 1, 1], name, length * weight))
    if not segments:
        raise ValueError("the network has no named residential streets to place customers on")
    weights = np.array([s[5] for s in segments])
    picks = rng.choice(len(segments), size=n, p=weights / weights.sum())
    out = []
    for k in picks:
        lon0, lat0, lon1, lat1, name, _ = segments[k]
        t = rng.random()
        out.append((lat0 + t * (lat1 - lat0), lon0 + t * (lon1 - lon0), name))
    return out


def reachable_homes(
    network: RoadNetwork, ways: list[Way], n: int, rng: np.random.Generator, max_gap_m: float = REACHABLE_GAP_M
) -> list[tuple[float, float, str]]:
    """Street points near the driving graph: a home on a street cut off from the vans' network
    (a gated estate, an island of one-way streets) would only make an unroutable customer."""
    homes: list[tuple[float, float, str]] = []
    while len(homes) < n:
        batch = sample_street_points(ways, n - len(homes), rng)
        _, gap = network.snapper("drive").nearest(np.array([h[0] for h in batch]), np.array([h[1] for h in batch]))
        homes.extend(h for h, g in zip(batch, gap) if g <= max_gap_m)
    return homes


def spread_points(lat: np.ndarray, lon: np.ndarray, k: int, weights: np.ndarray) -> list[int]:
    """Pick ``k`` indices far apart, favouring heavy points (weighted farthest-point sampling)."""
    chosen = [int(np.argmax(weights))]
    best = haversine_m(lon, lat, lon[chosen[0]], lat[chosen[0]])
    while len(chosen) < min(k, len(lat)):
        nxt = int(np.argmax(best * weights))
        chosen.append(nxt)
        best = np.minimum(best, haversine_m(lon, lat, lon[nxt], lat[nxt]))
    return chosen


def build_scenario_files(
    scenario: Scenario,
    network: RoadNetwork,
    *,
    n_customers: int = 4000,
    n_open_points: int = 8,
    out_dir: Path | None = None,
) -> tuple[Path, Path]:
    """Write ``customers.csv`` and ``pickup_points.csv`` for the scenario; returns their paths."""
    out_dir = out_dir or scenario.folder
    rng = np.random.default_rng(scenario.spec.seed)
    zones = grid_zones(network)

    # Pickup-point candidates: named transit stops; open the most central, spread-out few.
    stops = network.transit_stops()
    s_lat = np.array([s.lat for s in stops])
    s_lon = np.array([s.lon for s in stops])

    homes = reachable_homes(network, street_ways(scenario.network_source), n_customers, rng)
    h_lat = np.array([h[0] for h in homes])
    h_lon = np.array([h[1] for h in homes])

    open_idx: set[int] = set()
    if stops:
        # Demand around each stop within walking reach decides where the first lockers go.
        near = np.array([(haversine_m(h_lon, h_lat, lo, la) < 600).sum() for la, lo in zip(s_lat, s_lon)], float)
        open_idx = set(spread_points(s_lat, s_lon, n_open_points, near + 1.0))
    points = []
    for i, s in enumerate(stops):
        points.append(
            {
                "id": f"pp-{s.id}",
                "name": s.name,
                "lat": f"{s.lat:.6f}",
                "lon": f"{s.lon:.6f}",
                "kind": "locker",
                "capacity": 60,
                "opens": "07:00",
                "closes": "22:00",
                "daily_cost": 150.0,
                "active": "yes" if i in open_idx else "no",
            }
        )

    open_points = [p for p in points if p["active"] == "yes"]
    nearest = [""] * n_customers
    if open_points:
        walk = network.walk_distance(
            list(zip(h_lat, h_lon)), [(float(p["lat"]), float(p["lon"])) for p in open_points]
        )
        best = np.argmin(walk, axis=1)
        for c in range(n_customers):
            if walk[c, best[c]] <= WALK_REACH_M:
                nearest[c] = open_points[best[c]]["id"]

    tiers = list(scenario.spec.tiers)
    shares = np.array([scenario.spec.tiers[t].share for t in tiers], float)
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(tiers), 1 / len(tiers))
    slots = scenario.spec.slots.home
    popularity = np.array(SLOT_POPULARITY[: len(slots)] + [0.1] * max(0, len(slots) - len(SLOT_POPULARITY)))
    popularity /= popularity.sum()

    customers_path = out_dir / scenario.spec.customers
    with open(customers_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            ["customer_id", "lat", "lon", "address", "zone", "tier", "preferred_slot", "pickup_affinity", "preferred_pickup_point"]
        )
        for c, (lat, lon, street) in enumerate(homes):
            # Beta(2, 2.5) has mean 2/4.5; scale it so the mean is PICKUP_AFFINITY_MEAN.
            affinity = float(np.clip(rng.beta(2, 2.5) * PICKUP_AFFINITY_MEAN / (2 / 4.5), 0, 1)) if nearest[c] else 0.0
            w.writerow(
                [
                    f"c{c + 1:05d}",
                    f"{lat:.6f}",
                    f"{lon:.6f}",
                    f"{street} {int(rng.integers(1, 90))}",
                    zones.zone_of(lat, lon),
                    tiers[int(rng.choice(len(tiers), p=shares))],
                    slots[int(rng.choice(len(slots), p=popularity))],
                    f"{affinity:.3f}",
                    nearest[c],
                ]
            )
    points_path = out_dir / scenario.spec.pickup_points
    with open(points_path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(points[0]) if points else ["id", "name", "lat", "lon", "kind", "capacity", "opens", "closes", "daily_cost", "active"], lineterminator="\n")
        w.writeheader()
        w.writerows(points)
    return customers_path, points_path
