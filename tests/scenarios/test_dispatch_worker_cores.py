"""A solve on a solver worker uses the worker's own cores: one thread, one core, no second process."""

from __future__ import annotations

import pytest

from scenarios.dispatch import jobs
from tests.webui.pages_support import DAY, add_users, page_token, sign_in, small_day_config, wait_job


def test_outside_a_dask_worker_there_is_no_worker_thread_count():
    assert jobs.worker_cores() is None


@pytest.mark.parametrize("threads, engine", [(1, "pyvrp+ortools"), (2, None)])
def test_a_plan_job_solves_on_as_many_cores_as_its_worker_has_threads(tmp_path, monkeypatch, threads, engine):
    from optimizer.engine import portfolio
    from webui.app import create_app

    monkeypatch.setattr(jobs, "worker_cores", lambda: threads)  # the job function as a Dask worker of that size runs it
    if threads == 1:
        def no_second_process():
            raise AssertionError("a one-thread worker must not start the PyVRP process")

        monkeypatch.setattr(portfolio, "_get_worker", no_second_process)
    app = create_app(small_day_config(tmp_path, SOLVER_ENGINE="auto"))
    add_users(app)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    resp = client.post(f"/day/{DAY}/plan", json={"time_limit": 3}, headers={"X-CSRFToken": page_token(client)})
    assert resp.status_code == 202, resp.get_json()
    snap = wait_job(client, resp.get_json()["poll"], timeout_s=120)
    assert snap["state"] == "done", snap["message"]
    stored = app.extensions["lastmile.workbench"].get_plan(snap["result"]).plan
    meta = stored["meta"]
    assert meta["cores"] == threads
    if engine is not None:
        assert stored["engine"] == engine
        assert "ortools" not in meta["engines"] and "fallback" not in meta
    else:
        assert {"pyvrp", "pyvrp_worker"} <= set(meta["engines"])  # two cores: the pair of PyVRP searches
    app.extensions["lastmile.jobs"].shutdown()
