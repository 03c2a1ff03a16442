"""Solves on a real Dask LocalCluster, as ``lastmile serve`` runs them: a plan job end to end
through the pages, a stop that crosses processes, and a booking re-solve sent to a worker."""

from __future__ import annotations

import os

import pytest

from tests.webui.pages_support import DAY, add_users, page_token, sign_in, small_day_config, wait_job

OTHER_DAY = "2026-11-26"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from webui.app import create_app
    from webui.serving import start_solver_cluster

    tmp = tmp_path_factory.mktemp("solver-cluster")
    app = create_app(small_day_config(tmp, SOLVER_CLUSTER="local", SOLVER_ENGINE="auto", SOLVER_PROCESSES=1,
                                      SOLVER_THREADS=2))
    add_users(app)
    stop = start_solver_cluster(app)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    yield app, client
    stop()
    app.extensions["lastmile.jobs"].shutdown()


def post(client, url, body=None, date=DAY):
    return client.post(url, json=body or {}, headers={"X-CSRFToken": page_token(client, f"/day/{date}")})


def test_a_plan_job_runs_on_a_dask_worker_with_the_pyvrp_engine_and_saves_its_plan(served):
    app, client = served
    resp = post(client, f"/day/{DAY}/plan", {"time_limit": 4})
    assert resp.status_code == 202, resp.get_json()
    snap = wait_job(client, resp.get_json()["poll"], timeout_s=120)
    assert snap["state"] == "done", snap["message"]
    assert snap["improvements"] >= 1 and snap["best_cost"] > 0
    plan = app.extensions["lastmile.workbench"].get_plan(snap["result"])
    assert plan is not None and plan.plan["routes"]
    meta = plan.plan["meta"]
    assert "pyvrp_error" not in meta, meta["pyvrp_error"]  # the worker is not daemonic: PyVRP ran beside OR-Tools
    assert "pyvrp" in meta["engines"]
    workers = app.extensions["lastmile.jobs"].cluster.client.run(os.getpid)
    assert os.getpid() not in workers.values()  # the solve left this process


def test_a_stop_reaches_the_solve_on_the_worker_and_the_best_plan_is_kept(served):
    app, client = served
    poll = post(client, f"/day/{OTHER_DAY}/plan", {"time_limit": 120}, OTHER_DAY).get_json()["poll"]
    import time

    deadline = time.monotonic() + 60
    while (snap := client.get(poll).get_json())["improvements"] < 1 and time.monotonic() < deadline:
        assert snap["state"] in ("queued", "running"), snap["message"]
        time.sleep(0.1)
    assert post(client, f"{poll}/stop", date=OTHER_DAY).status_code == 202
    snap = wait_job(client, poll, timeout_s=90)
    assert snap["state"] == "stopped", snap["message"]
    plan = app.extensions["lastmile.workbench"].get_plan(snap["result"])
    assert plan.plan["meta"]["stopped_early"] is True and plan.plan["routes"]
    assert "pyvrp" in plan.plan["meta"]["engines"]  # PyVRP was told to stop, its plan was judged too


def test_a_booking_re_solve_is_sent_to_a_worker_and_comes_back_sound(served):
    from distributed import get_task_stream

    from optimizer.checker import check_solution
    from tests.optimizer.test_portfolio import random_day
    from webui.jobs import cluster_solver

    app, _ = served
    cluster = app.extensions["lastmile.jobs"].cluster
    solver = cluster_solver(lambda: cluster)
    problem = random_day(2, n=20)
    with get_task_stream(cluster.client) as stream:
        solution = solver(problem, 1.0)
    assert check_solution(problem, solution).kinds() <= {"unserved"}
    assert any(t["key"].startswith("solve_routing") for t in stream.data)


def test_a_worker_killed_during_a_solve_is_reported_at_once_and_the_cluster_carries_on(served):
    import signal
    import time

    from scenarios.dispatch.jobs import STALE_MESSAGE

    app, client = served
    dask = app.extensions["lastmile.jobs"].cluster.client
    poll = post(client, f"/day/{DAY}/plan", {"time_limit": 120}).get_json()["poll"]
    job_id = poll.rsplit("/", 1)[-1]
    deadline = time.monotonic() + 60
    while client.get(poll).get_json()["state"] != "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    worker = next(w for w, keys in dask.processing().items() if f"solve-{job_id}" in keys)
    os.kill(dask.run(os.getpid, workers=[worker])[worker], signal.SIGKILL)
    snap = wait_job(client, poll, timeout_s=60)  # well before the two-minute silence
    assert snap["state"] == "failed" and snap["message"] == STALE_MESSAGE
    again = post(client, f"/day/{DAY}/plan", {"time_limit": 2}).get_json()["poll"]
    assert wait_job(client, again, timeout_s=120)["state"] == "done"  # the restarted worker solves
