"""Site selection: which pickup-point candidates to open.

A capacitated maximal-covering model, solved exactly as a mixed-integer program with the
SCIP solver bundled in OR-Tools. Pure: it takes arrays and knows nothing of streets or files.

Data, for customers ``i`` and candidate sites ``j``:

* ``demand[i]``: parcels per day customer ``i`` receives (home or pickup), e.g. order rate
  times mean parcels per order;
* ``prob[i, j]``: probability that ``i`` collects at ``j`` when ``j`` is their point (from the
  choice model; 0 where ``j`` is out of walking reach);
* ``capacity[j]`` parcels per day, ``daily_cost[j]`` currency per day.

Variables: ``y[j]`` in {0, 1} opens site ``j``; ``x[i, j]`` in [0, 1] is the share of
``i``'s pickup demand sent to ``j``. Constraints: ``sum_j x[i, j] <= 1``; ``x[i, j] <= y[j]``;
``sum_i demand[i] prob[i, j] x[i, j] <= capacity[j] y[j]``; sites in ``open_sites`` are open
and do not count towards ``k``.

Objectives:

* ``"coverage"``: open exactly ``k`` new sites, maximise expected covered demand
  ``sum demand[i] prob[i, j] x[i, j]`` (parcels per day);
* ``"cost"``: open at most ``k`` new sites (any number if ``k`` is None), minimise
  ``sum daily_cost[j] y[j] - saving_per_parcel * covered demand`` (currency per day): a site
  pays back only if the delivery cost it saves exceeds its rent and handling.

Without capacities the best assignment sends each customer to their most attractive open
site, the same rule the simulation uses (the nearest open point on foot).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from ortools.linear_solver import pywraplp

OBJECTIVES = ("coverage", "cost")

# Pairs expected to carry less than this many parcels per day are left out of the model.
MIN_PAIR_DEMAND = 1e-9


class SiteSelectionError(ValueError):
    """Inputs the model cannot use; the message names the argument and the fix."""


@dataclass
class SiteSelection:
    """The answer: which sites are open, and the demand each one draws (parcels per day)."""

    chosen: list[int]  # newly opened sites, candidate indices, ascending
    open_sites: list[int]  # all open sites: forced open ones plus chosen
    covered_by_site: np.ndarray  # (m,) expected pickup parcels per day at each site
    covered_total: float  # parcels per day
    site_cost: float  # daily cost of all open sites, currency
    objective: float  # coverage: parcels/day; cost: currency/day (site cost - saving)
    status: str  # "optimal" or "feasible" (time limit reached before the proof)
    solve_s: float
    assignment: dict[tuple[int, int], float] = field(default_factory=dict)  # (i, j) -> share of i's demand

    def utilization(self, capacity: Sequence[float]) -> np.ndarray:
        cap = np.asarray(capacity, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(cap > 0, self.covered_by_site / cap, 0.0)


def _check_inputs(
    demand: np.ndarray,
    prob: np.ndarray,
    capacity: np.ndarray,
    daily_cost: np.ndarray,
    k: int | None,
    open_sites: Sequence[int],
    objective: str,
) -> None:
    n, m = prob.shape if prob.ndim == 2 else (None, None)
    if prob.ndim != 2:
        raise SiteSelectionError(f"prob must be a (customers, sites) matrix, got shape {prob.shape}")
    if demand.shape != (n,):
        raise SiteSelectionError(f"demand must have one value per customer ({n}), got shape {demand.shape}")
    if capacity.shape != (m,) or daily_cost.shape != (m,):
        raise SiteSelectionError(f"capacity and daily_cost need one value per site ({m})")
    if objective not in OBJECTIVES:
        raise SiteSelectionError(f"objective '{objective}' is unknown; use one of {', '.join(OBJECTIVES)}")
    if np.any(~np.isfinite(demand)) or np.any(demand < 0):
        raise SiteSelectionError("demand: every customer's parcels per day must be a number >= 0")
    if np.any(~np.isfinite(prob)) or np.any((prob < 0) | (prob > 1)):
        raise SiteSelectionError("prob: probabilities must lie in [0, 1]")
    bad = np.flatnonzero(~np.isfinite(capacity) | (capacity < 0))
    if bad.size:
        raise SiteSelectionError(
            f"capacity of site {int(bad[0])} is {capacity[bad[0]]}: give parcels per day >= 0"
        )
    if np.any(~np.isfinite(daily_cost)):
        raise SiteSelectionError("daily_cost: every site needs a finite daily cost")
    for j in open_sites:
        if not 0 <= j < m:
            raise SiteSelectionError(f"open_sites: {j} is not a site index (0..{m - 1})")
    free = m - len(set(open_sites))
    if k is None:
        if objective == "coverage":
            raise SiteSelectionError("k: the coverage objective needs the number of sites to open")
    elif k < 0:
        raise SiteSelectionError(f"k={k}: give the number of sites to open, 0 or more")
    elif k > free:
        raise SiteSelectionError(
            f"k={k} is larger than the number of candidates that could be opened ({free}); "
            f"choose k <= {free} or add candidates"
        )


def select_sites(
    demand: Sequence[float],
    prob: np.ndarray,
    capacity: Sequence[float],
    daily_cost: Sequence[float],
    *,
    k: int | None,
    open_sites: Sequence[int] = (),
    objective: str = "coverage",
    saving_per_parcel: float = 0.0,
    time_limit_s: float = 60.0,
) -> SiteSelection:
    """Choose sites to open; see the module docstring for the model.

    Solved to optimality (relative gap 0) unless ``time_limit_s`` runs out first, in which case
    ``status`` is ``"feasible"``. Raises :class:`SiteSelectionError` for unusable inputs,
    e.g. ``k`` larger than the number of candidates or a negative capacity.
    """
    demand = np.asarray(demand, dtype=float)
    prob = np.asarray(prob, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    daily_cost = np.asarray(daily_cost, dtype=float)
    _check_inputs(demand, prob, capacity, daily_cost, k, open_sites, objective)
    n, m = prob.shape
    forced = sorted(set(int(j) for j in open_sites))

    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:  # pragma: no cover - SCIP ships in the OR-Tools wheels
        raise RuntimeError("the SCIP solver is not available in this OR-Tools build")
    solver.SetTimeLimit(int(max(0.1, time_limit_s) * 1000))
    # Coefficients are parcels/day; scaling to whole numbers is not needed for a MIP.
    y = [solver.BoolVar(f"y{j}") for j in range(m)]
    for j in forced:
        y[j].SetLb(1)
    weight = demand[:, None] * prob
    keep = weight > MIN_PAIR_DEMAND
    # A forced-open site whose capacity can never bind serves its customers unconditionally,
    # so pairs no more attractive than a customer's best such site can never improve the
    # objective: leaving them out keeps the model exact and much smaller.
    never_full = [j for j in forced if weight[:, j].sum() <= capacity[j]]
    if never_full:
        best = prob[:, never_full].max(axis=1)
        best_site = np.asarray(never_full)[prob[:, never_full].argmax(axis=1)]
        dominated = prob <= best[:, None]
        dominated[np.arange(n), best_site] = False
        keep &= ~dominated
    pairs = np.argwhere(keep)
    x = {}
    per_customer: dict[int, list] = {}
    per_site: dict[int, list] = {}
    for i, j in pairs:
        i, j = int(i), int(j)
        var = solver.NumVar(0.0, 1.0, f"x{i}_{j}")
        x[i, j] = var
        solver.Add(var <= y[j])
        per_customer.setdefault(i, []).append(var)
        per_site.setdefault(j, []).append((float(weight[i, j]), var))
    for vars_ in per_customer.values():
        if len(vars_) > 1:
            solver.Add(solver.Sum(vars_) <= 1)
    for j, terms in per_site.items():
        if sum(w for w, _ in terms) > capacity[j]:  # the capacity row only matters if it can bind
            solver.Add(solver.Sum([w * v for w, v in terms]) <= float(capacity[j]) * y[j])
    free_y = [y[j] for j in range(m) if j not in forced]
    if k is not None and free_y:
        if objective == "coverage":
            solver.Add(solver.Sum(free_y) == k)
        else:
            solver.Add(solver.Sum(free_y) <= k)
    covered = solver.Sum([float(weight[i, j]) * v for (i, j), v in x.items()]) if x else 0.0
    if objective == "coverage":
        solver.Maximize(covered)
    else:
        site_cost = solver.Sum([float(daily_cost[j]) * y[j] for j in range(m)])
        solver.Minimize(site_cost - float(saving_per_parcel) * covered)

    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, 0.0)
    t0 = time.perf_counter()
    status = solver.Solve(params)
    solve_s = time.perf_counter() - t0
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        raise SiteSelectionError(
            f"the site-selection model has no solution within {time_limit_s:g} s (solver status {status}); "
            "give a longer time limit or fewer candidates"
        )

    open_mask = np.array([y[j].solution_value() > 0.5 for j in range(m)])
    by_site = np.zeros(m)
    assignment = {}
    for (i, j), var in x.items():
        share = var.solution_value()
        if share > 1e-9:
            assignment[i, j] = share
            by_site[j] += weight[i, j] * share
    open_idx = [int(j) for j in np.flatnonzero(open_mask)]
    total = float(by_site.sum())
    cost = float(daily_cost[open_mask].sum())
    value = total if objective == "coverage" else cost - saving_per_parcel * total
    return SiteSelection(
        chosen=[j for j in open_idx if j not in forced],
        open_sites=open_idx,
        covered_by_site=by_site,
        covered_total=total,
        site_cost=cost,
        objective=value,
        status="optimal" if status == pywraplp.Solver.OPTIMAL else "feasible",
        solve_s=solve_s,
        assignment=assignment,
    )
