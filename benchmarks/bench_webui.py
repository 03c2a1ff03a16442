"""Benchmark the dispatcher pages on a full generated day: plan, page, map data, one hand edit.

Run from the repository root::

    python benchmarks/bench_webui.py [--date 2026-11-26] [--time-limit 10] [--orders N]

Uses a throwaway SQLite database and the Flask test client (no network, no browser); prints
wall-clock seconds and response sizes.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", default="2026-11-26")
    parser.add_argument("--time-limit", type=float, default=10.0, help="solver seconds for the plan")
    parser.add_argument("--orders", type=int, default=None, help="cap the generated orders (default: the scenario's day)")
    args = parser.parse_args(argv)

    from webui.accounts import add_user
    from webui.app import create_app, get_db

    tmp = Path(tempfile.mkdtemp(prefix="lastmile-bench-webui-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": secrets.token_hex(32), "IMPORT_DIR": str(tmp),
                      "ORDERS_PER_DAY_OVERRIDE": args.orders, "PLAN_TIME_LIMIT_MAX_S": max(300.0, args.time_limit)})
    add_user(get_db(app), "bench", "bench-password", "dispatcher")
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").get_data(as_text=True)).group(1)
    client.post("/signin", data={"username": "bench", "password": "bench-password", "csrf_token": token})
    day = f"/day/{args.date}"

    empty, t_empty = _timed(lambda: client.get(day))
    token = re.search(r'name="csrf-token" content="([^"]+)"', empty.get_data(as_text=True)).group(1)
    headers = {"X-CSRFToken": token}

    def plan():
        job = client.post(f"{day}/plan", json={"time_limit": args.time_limit}, headers=headers).get_json()
        while (snap := client.get(job["poll"]).get_json())["state"] not in ("done", "failed"):
            time.sleep(0.2)
        return snap

    snap, t_plan = _timed(plan)
    if snap["state"] != "done":
        raise SystemExit(f"plan failed: {snap['message']}")
    plan_id = snap["result"]
    _, _ = _timed(lambda: client.get(day))  # warm the template
    page, t_page = _timed(lambda: client.get(day))
    geo, t_geo = _timed(lambda: client.get(f"/plans/{plan_id}/routes.geojson"))
    base, t_base = _timed(lambda: client.get("/basemap.geojson", headers={"Accept-Encoding": "gzip"}))
    stored = app.extensions["lastmile.workbench"].get_plan(plan_id)
    stop = stored.plan["routes"][0]["stops"][0]["stop_id"]
    edit, t_edit = _timed(lambda: client.post(f"/plans/{plan_id}/edit", json={"action": "lock", "stop_id": stop}, headers=headers))
    sheet, t_sheet = _timed(lambda: client.get(f"/plans/{plan_id}/sheets.csv"))
    sc = stored.scorecard
    print(f"day {args.date}: {sc['orders_total']} orders, {sc['vehicles_used']} vehicles, {sc['orders_served']} served")
    print(f"  day page before planning   {t_empty:6.2f} s  {len(empty.data) / 1024:7.0f} kB")
    print(f"  plan job ({args.time_limit:g} s limit)    {t_plan:6.2f} s")
    print(f"  day page with the plan     {t_page:6.2f} s  {len(page.data) / 1024:7.0f} kB")
    print(f"  routes GeoJSON             {t_geo:6.2f} s  {len(geo.data) / 1024:7.0f} kB")
    print(f"  basemap (gzip)             {t_base:6.2f} s  {len(base.data) / 1024:7.0f} kB")
    print(f"  one hand edit (lock)       {t_edit:6.2f} s  (status {edit.status_code})")
    print(f"  all driver sheets CSV      {t_sheet:6.2f} s  {len(sheet.data) / 1024:7.0f} kB")
    app.extensions["lastmile.jobs"].shutdown()


if __name__ == "__main__":
    main()
