"""What-if runs kept as files, and their comparison table (no simulation needed)."""

from __future__ import annotations

from webui.pages.whatif import RunStore, comparison_rows


def _run(add=("pp-x",)) -> dict:
    comparison = []
    for variant, mean, diff in (("baseline", 100.0, 0.0), ("what-if", 95.0, -5.0)):
        for metric in ("cost_per_order", "km", "on_time_rate", "pickup_share", "point_utilization"):
            comparison.append({"variant": variant, "metric": metric, "mean": mean, "std": None, "min": mean,
                               "max": mean, "diff_vs_baseline": diff, "diff_std": None})
    return {"created": "2026-11-23T10:00:00+00:00", "add": list(add), "remove": [], "days": 2,
            "variants": [{"name": "baseline", "description": "", "open_ids": []},
                         {"name": "what-if", "description": "", "open_ids": list(add)}],
            "comparison": comparison, "day_rows": [], "points": []}


def test_runs_are_saved_listed_newest_first_and_loaded(tmp_path):
    store = RunStore(tmp_path / "gothenburg")
    assert store.list() == []
    first = store.save(_run(("pp-a",)))
    second = store.save(_run(("pp-b",)))
    assert store.load(first)["add"] == ["pp-a"]
    listed = [r["id"] for r in store.list()]
    assert set(listed) == {first, second} and len(listed) == 2
    assert not list((tmp_path / "gothenburg").glob("*.tmp"))


def test_only_run_ids_are_read(tmp_path):
    store = RunStore(tmp_path)
    assert store.load("../../etc/passwd") is None
    assert store.load("20261123T100000-abcdef") is None


def test_comparison_rows_pair_baseline_and_variant():
    rows = {r["metric"]: r for r in comparison_rows(_run())}
    cost = rows["cost_per_order"]
    assert (cost["baseline"], cost["variant"], cost["diff"]) == (100.0, 95.0, -5.0)
    assert rows["pickup_share"]["unit"] == "%" and cost["unit"] == "cur"
