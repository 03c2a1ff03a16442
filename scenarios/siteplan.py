"""Which new pickup points to open in a scenario: candidates -> customers' options -> site selection.

The points open today stay open; ``k`` new ones are chosen among the other candidates by
:func:`optimizer.sites.select_sites`, either for the most expected pickup demand
(``"coverage"``) or for the lowest daily cost net of delivery cost saved (``"cost"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from optimizer.sites import SiteSelection, select_sites
from scenarios.candidates import check_on_network, scenario_candidates
from scenarios.pickup_model import (
    CATCHMENT_RADII_M,
    PickupOptions,
    mean_parcels_per_order,
    parcels_per_customer_day,
    pickup_options,
    saving_per_order,
)
from scenarios.scenario import PickupPoint, Scenario


@dataclass
class SitePlan:
    options: PickupOptions
    selection: SiteSelection
    today: SiteSelection  # the points open today alone, same model
    objective: str
    saving_per_parcel: float  # currency per parcel moved from home to a point

    @property
    def candidates(self) -> list[PickupPoint]:
        return self.options.points

    def chosen_points(self) -> list[PickupPoint]:
        return [self.candidates[j] for j in self.selection.chosen]

    def rows(self) -> list[dict]:
        """One row per open site (existing first, then new): catchment, expected use, cost."""
        counts = self.options.catchment_counts(CATCHMENT_RADII_M)
        util = self.selection.utilization([p.capacity for p in self.candidates])
        out = []
        chosen = set(self.selection.chosen)
        for j in sorted(self.selection.open_sites, key=lambda j: (j in chosen, self.candidates[j].id)):
            p = self.candidates[j]
            out.append(
                {
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind,
                    "status": "new" if j in chosen else "open",
                    **{f"customers_{int(r)}m": int(counts[j, k]) for k, r in enumerate(CATCHMENT_RADII_M)},
                    "parcels_per_day": round(float(self.selection.covered_by_site[j]), 2),
                    "capacity": p.capacity,
                    "utilization": round(float(util[j]), 4),
                    "daily_cost": p.daily_cost,
                    "lat": p.lat,
                    "lon": p.lon,
                }
            )
        return out


def plan_sites(
    scenario: Scenario,
    network,
    *,
    k: int,
    objective: str = "coverage",
    extra: Sequence[PickupPoint] = (),
    saving_per_order_override: float | None = None,
    time_limit_s: float = 60.0,
) -> SitePlan:
    """Choose ``k`` new sites for ``scenario`` (see the module docstring).

    Raises :class:`scenarios.candidates.CandidateError` for a candidate off the street network
    and :class:`optimizer.sites.SiteSelectionError` for ``k`` larger than the candidates.
    """
    if not scenario.customers:
        raise ValueError(f"scenario '{scenario.name}' has no customers file; run 'lastmile scenario build' first")
    candidates = scenario_candidates(scenario, extra)
    check_on_network(candidates, network, scenario.spec.snap_max_distance_m)
    options = pickup_options(scenario, network, candidates)
    demand = np.full(len(scenario.customers), parcels_per_customer_day(scenario))
    saving = (saving_per_order(scenario) if saving_per_order_override is None else saving_per_order_override)
    saving_per_parcel = saving / mean_parcels_per_order(scenario)
    open_now = [j for j, p in enumerate(candidates) if p.active]
    capacity = [p.capacity for p in candidates]
    cost = [p.daily_cost for p in candidates]
    common = dict(open_sites=open_now, objective=objective, saving_per_parcel=saving_per_parcel, time_limit_s=time_limit_s)
    selection = select_sites(demand, options.prob, capacity, cost, k=k, **common)
    today = select_sites(demand, options.prob, capacity, cost, k=0, **common)
    return SitePlan(options, selection, today, objective, saving_per_parcel)


def catchments_geojson(network, points: Sequence[PickupPoint], radii: Sequence[float] = CATCHMENT_RADII_M) -> dict:
    """One FeatureCollection with the walking catchments of ``points`` (``site_id`` on each feature)."""
    from geo.catchment import catchment_polygons

    features = []
    attribution = None
    for p in points:
        fc = catchment_polygons(network, (p.lat, p.lon), radii)
        attribution = fc.get("attribution", attribution)
        for f in fc["features"]:
            f.setdefault("properties", {}).update({"site_id": p.id, "name": p.name})
            features.append(f)
    out = {"type": "FeatureCollection", "features": features}
    if attribution:
        out["attribution"] = attribution
    return out
