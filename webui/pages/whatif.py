"""Pickup-point what-ifs for the planner page: run the simulation runner, keep its results.

A run compares the points open today (the baseline) with one variant (candidates opened,
points closed) over a few simulated days, through :func:`scenarios.simulate.run_simulation`
in this process (one day after another, so the web server keeps its other core). Results are
kept as JSON files ``SIMULATION_DIR/<scenario>/<run id>.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import secrets
from pathlib import Path
from typing import Any, Callable, Sequence

from scenarios.dispatch.errors import JobFailed

RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$")
METRIC_LABELS = {
    "cost_per_order": ("Cost per order (routes + points)", "cur"),
    "km": ("Distance per day", "km"),
    "on_time_rate": ("On-time rate", "%"),
    "pickup_share": ("Pickup share", "%"),
    "point_utilization": ("Point utilization", "%"),
}


def available() -> bool:
    """Whether the simulation runner (``scenarios.simulate``) is installed."""
    import importlib.util

    return importlib.util.find_spec("scenarios.simulate") is not None


def _clean(value: Any) -> Any:
    """JSON-safe: NaN (a standard deviation of one day) becomes ``None``; numpy scalars plain."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def run_whatif(scenario, network, *, add: Sequence[str], remove: Sequence[str], days: int, start: dt.date,
               n_orders: int | None, iterations: int, time_limit_s: float, progress=None) -> dict:
    """Simulate the baseline and the variant; returns the run as plain data (see module docstring).

    Raises :class:`~webui.jobs.JobFailed` with the runner's message for an impossible request.
    """
    from scenarios.simulate import RoutingSettings, SimulationConfig, SimulationError, make_variants, run_simulation

    known = {p.id: p for p in scenario.pickup_points}
    unknown = [pid for pid in [*add, *remove] if pid not in known]
    if unknown:
        raise JobFailed(f"unknown pickup point(s) {', '.join(unknown)}; pick them from the list")
    try:
        variants, points = make_variants(scenario, add=[known[pid] for pid in add], remove=list(remove), name="what-if")
        config = SimulationConfig(days=days, start=start, seed=scenario.spec.seed, n_orders=n_orders,
                                  routing=RoutingSettings(engine="repeatable", iterations=iterations,
                                                          time_limit_s=time_limit_s))
        on_day = None
        if progress is not None:
            progress.stage("walking distances from customers to the points")
            on_day = _day_callback(progress)
        result = run_simulation(scenario, network, variants, points, config, client=None, progress=on_day)
    except SimulationError as exc:
        raise JobFailed(str(exc))
    return {
        "scenario": scenario.name,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "add": list(add),
        "remove": list(remove),
        "days": days,
        "start": start.isoformat(),
        "orders_per_day": n_orders,
        "variants": [{"name": v.name, "description": v.description, "open_ids": list(v.open_ids)} for v in result.variants],
        "day_rows": [{k: _clean(v) for k, v in r.items() if k != "point_parcels"} for r in result.days],
        "comparison": _records(result.comparison()),
        "points": _records(result.point_utilization()),
        "wall_s": round(result.wall_s, 2),
    }


def _day_callback(progress) -> Callable[[int, int], None]:
    def on_day(finished: int, total: int) -> None:
        progress.done(finished, total, "simulated days")

    return on_day


class RunStore:
    """What-if runs of one scenario as JSON files, newest first."""

    def __init__(self, folder: Path):
        self.folder = folder

    def save(self, run: dict) -> str:
        run_id = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        run["id"] = run_id
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{run_id}.json.tmp"
        tmp.write_text(json.dumps(run), encoding="utf-8")
        tmp.replace(self.folder / f"{run_id}.json")
        return run_id

    def load(self, run_id: str) -> dict | None:
        if not RUN_ID.match(run_id):
            return None
        path = self.folder / f"{run_id}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def list(self, limit: int = 20) -> list[dict]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.json"), reverse=True)[:limit]:
            run = json.loads(path.read_text(encoding="utf-8"))
            out.append({"id": run["id"], "created": run["created"], "add": run["add"], "remove": run["remove"],
                        "days": run["days"]})
        return out


def comparison_rows(run: dict) -> list[dict]:
    """One row per metric: label, unit, baseline mean, variant mean, mean paired difference, its sd."""
    by = {(r["variant"], r["metric"]): r for r in run["comparison"]}
    names = [v["name"] for v in run["variants"]]
    rows = []
    for metric, (label, unit) in METRIC_LABELS.items():
        base = by.get((names[0], metric), {})
        other = by.get((names[-1], metric), {}) if len(names) > 1 else {}
        rows.append({"metric": metric, "label": label, "unit": unit, "baseline": base.get("mean"),
                     "variant": other.get("mean"), "diff": other.get("diff_vs_baseline"), "diff_std": other.get("diff_std")})
    return rows
