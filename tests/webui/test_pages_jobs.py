"""Background jobs live in the database: any server process answers the poll, a dead solve is
reported failed, a stopped solve keeps its best plan, one solve per date across processes."""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import Future

import pytest
from sqlalchemy import func, select

from scheduling.storage import open_database
from scheduling.storage.models import SolveJob
from scenarios.dispatch.jobs import STALE_MESSAGE, utcnow
from tests.webui.pages_support import DAY, add_users, page_token, sign_in, small_day_config, wait_job
from webui.jobs import JobFailed, JobRunner

OTHER_DAY = "2026-11-26"


def make_app(tmp, **extra):
    from webui.app import create_app

    return create_app(small_day_config(tmp, **extra))


@pytest.fixture
def two_servers(tmp_path):
    """Two apps on one database, as two server processes would be."""
    first = make_app(tmp_path)
    add_users(first)
    second = make_app(tmp_path)
    clients = []
    for app in (first, second):
        client = app.test_client()
        assert sign_in(client).status_code == 302
        clients.append(client)
    yield (first, clients[0]), (second, clients[1])
    for app in (first, second):
        app.extensions["lastmile.jobs"].shutdown()


def post(client, url, body=None, date=DAY):
    return client.post(url, json=body or {}, headers={"X-CSRFToken": page_token(client, f"/day/{date}")})


def wait_until(client, poll: str, predicate, timeout_s: float = 60.0) -> dict:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        snap = client.get(poll).get_json()
        if predicate(snap):
            return snap
        time.sleep(0.05)
    raise AssertionError(f"{poll} never reached the awaited state; last: {snap}")


def insert_job(app, **values) -> str:
    now = utcnow()
    row = dict(id="deadbeef00000001", kind="plan", owner="dispatch", tag=DAY, scenario="gothenburg",
               params_json=json.dumps({"date": DAY, "user": "dispatch", "time_limit_s": 30.0}), state="running",
               stage="searching for better routes", time_limit_s=30.0, improvements=3, best_cost=1234.5,
               created_at=now - dt.timedelta(minutes=5), started_at=now - dt.timedelta(minutes=5),
               heartbeat_at=now - dt.timedelta(minutes=3))
    row.update(values)
    with app.extensions["lastmile.db"].session() as s:
        s.add(SolveJob(**row))
    return row["id"]


# --------------------------------------------------------------------------- state in the database


def test_another_server_on_the_same_database_answers_the_poll_and_keeps_the_plan_after_a_restart(two_servers):
    (first, client1), (second, client2) = two_servers
    resp = post(client1, f"/day/{DAY}/plan", {"time_limit": 1})
    assert resp.status_code == 202, resp.get_json()
    poll = resp.get_json()["poll"]
    snap = wait_job(client2, poll)  # the second server never saw this job start
    assert snap["state"] == "done", snap["message"]
    assert isinstance(snap["result"], int) and snap["url"].endswith(f"plan={snap['result']}")
    first.extensions["lastmile.jobs"].shutdown()  # the first server goes away
    again = client2.get(poll).get_json()
    assert again["state"] == "done" and again["result"] == snap["result"]
    assert set(again) >= {"id", "kind", "tag", "state", "stage", "elapsed_s", "time_limit_s", "fraction", "best_cost",
                          "improvements", "message", "result"}
    assert again["kind"] == "plan" and again["tag"] == DAY and again["fraction"] == 1.0 and again["improvements"] >= 1


def test_one_solve_per_date_holds_across_servers(two_servers):
    (_, client1), (_, client2) = two_servers
    first = post(client1, f"/day/{OTHER_DAY}/plan", {"time_limit": 2}, OTHER_DAY).get_json()["job"]
    second = post(client2, f"/day/{OTHER_DAY}/plan", {"time_limit": 2}, OTHER_DAY).get_json()["job"]
    assert second["id"] == first["id"]
    assert wait_job(client2, f"/jobs/{first['id']}")["state"] == "done"


def test_a_running_job_whose_heartbeat_stopped_is_reported_failed_and_frees_its_date(two_servers):
    (app, client), _ = two_servers
    job_id = insert_job(app)
    snap = client.get(f"/jobs/{job_id}").get_json()
    assert snap["state"] == "failed" and snap["message"] == STALE_MESSAGE
    assert snap["best_cost"] == 1234.5  # what the dead solve had reported stays readable
    fresh = post(client, f"/day/{DAY}/plan", {"time_limit": 1}).get_json()["job"]
    assert fresh["id"] != job_id
    assert wait_job(client, f"/jobs/{fresh['id']}")["state"] == "done"


def test_a_running_job_with_a_recent_heartbeat_is_still_running(two_servers):
    (app, client), _ = two_servers
    job_id = insert_job(app, heartbeat_at=utcnow() - dt.timedelta(seconds=20))
    snap = client.get(f"/jobs/{job_id}").get_json()
    assert snap["state"] == "running" and snap["message"] == ""
    assert snap["elapsed_s"] >= 299 and snap["fraction"] == 0.99
    joined = post(client, f"/day/{DAY}/plan", {"time_limit": 1}).get_json()["job"]
    assert joined["id"] == job_id  # one solve per day: the page joins it


def test_an_unknown_job_is_a_plain_404(two_servers):
    (_, client), _ = two_servers
    resp = client.get("/jobs/0000000000000000")
    assert resp.status_code == 404 and "no longer known" in resp.get_json()["error"]


# --------------------------------------------------------------------------- stopping


def test_stop_ends_the_solve_early_and_keeps_its_best_plan(two_servers):
    (app, client), (_, other) = two_servers
    resp = post(client, f"/day/{DAY}/plan", {"time_limit": 120})
    poll = resp.get_json()["poll"]
    wait_until(client, poll, lambda s: s["state"] == "running" and s["improvements"] >= 1)
    stop = post(other, f"{poll}/stop")  # any server takes the stop
    assert stop.status_code == 202, stop.get_json()
    snap = wait_job(client, poll, timeout_s=60)
    assert snap["state"] == "stopped", snap["message"]
    assert isinstance(snap["result"], int) and snap["url"].endswith(f"plan={snap['result']}")
    plan = app.extensions["lastmile.workbench"].get_plan(snap["result"])
    assert plan is not None and plan.plan["routes"]
    assert plan.plan["meta"]["stopped_early"] is True
    assert snap["elapsed_s"] < 120


def test_a_queued_solve_that_is_stopped_never_starts(two_servers):
    (app, client), _ = two_servers
    busy = post(client, f"/day/{DAY}/plan", {"time_limit": 120}).get_json()["job"]  # holds the one inline solver
    queued = post(client, f"/day/{OTHER_DAY}/plan", {"time_limit": 1}, OTHER_DAY).get_json()["job"]
    assert client.get(f"/jobs/{queued['id']}").get_json()["state"] == "queued"
    stopped = post(client, f"/jobs/{queued['id']}/stop").get_json()["job"]
    assert stopped["state"] == "stopped" and stopped["result"] is None
    post(client, f"/jobs/{busy['id']}/stop")
    assert wait_job(client, f"/jobs/{busy['id']}")["state"] == "stopped"
    final = client.get(f"/jobs/{queued['id']}").get_json()
    assert final["state"] == "stopped" and final["result"] is None and final["stage"] == "stopped before it started"


def test_stopping_takes_a_dispatcher_and_a_csrf_token(two_servers):
    (app, client), _ = two_servers
    job_id = insert_job(app, heartbeat_at=utcnow())
    planner = app.test_client()
    sign_in(planner, "plan")
    assert planner.post(f"/jobs/{job_id}/stop", headers={"X-CSRFToken": page_token(planner, "/planner")}).status_code == 403
    assert client.post(f"/jobs/{job_id}/stop", json={}).status_code == 400  # no token
    with app.extensions["lastmile.db"].session() as s:
        assert s.get(SolveJob, job_id).stop_requested is False


def test_a_finished_job_stays_as_it_was_when_stopped(two_servers):
    (app, client), _ = two_servers
    job_id = insert_job(app, state="done", result_plan_id=None, finished_at=utcnow())
    resp = post(client, f"/jobs/{job_id}/stop")
    assert resp.status_code == 202 and resp.get_json()["job"]["state"] == "done"


# --------------------------------------------------------------------------- the runner


class Held:
    """A stand-in cluster that takes tasks and never runs them (the rows stay queued)."""

    inline = True

    def __init__(self):
        self.tasks: list[tuple] = []

    def submit(self, fn, *args, key=None):
        self.tasks.append(args)
        return Future()

    def close(self):
        pass


def test_concurrent_submits_for_one_date_from_two_processes_make_one_job(database_url):
    db = open_database(database_url)
    config = {"SCENARIO": "gothenburg"}
    runners = [JobRunner(db, config, Held()), JobRunner(open_database(database_url), config, Held())]
    for attempt in range(3):
        date = f"2026-12-0{attempt + 1}"
        barrier = threading.Barrier(2)
        got: dict[int, str] = {}

        def submit(k: int) -> None:
            barrier.wait()
            got[k] = runners[k].submit_solve("plan", "dan", 5.0, {"date": date}, tag=date).id

        threads = [threading.Thread(target=submit, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got[0] == got[1]
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(SolveJob).where(SolveJob.tag == date)) == 1
    assert sum(len(r.cluster.tasks) for r in runners) == 3  # each job handed to a cluster once
    for r in runners:
        r.shutdown()


def test_a_queued_job_gets_its_task_arguments_from_the_row_not_from_the_page(database_url):
    db = open_database(database_url)
    cluster = Held()
    runner = JobRunner(db, {"SCENARIO": "gothenburg", "SECRET_KEY": "s3cret", "ORDERS_PER_DAY_OVERRIDE": 40}, cluster)
    job = runner.submit_solve("re-optimize", "dan", 7.0, {"plan_id": 12}, tag=DAY)
    url, config, job_id, nice = cluster.tasks[0]
    assert url == db.url and job_id == job.id and nice == 0  # inline: no nice for the test process
    assert config["ORDERS_PER_DAY_OVERRIDE"] == 40 and "SECRET_KEY" not in config
    with db.session() as s:
        assert json.loads(s.get(SolveJob, job.id).params_json) == {"plan_id": 12, "user": "dan", "time_limit_s": 7.0}
    runner.shutdown()


def test_failures_carry_a_plain_message_and_no_traceback(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'jobs.db'}")
    runner = JobRunner(db, {"SOLVER_CLUSTER": "inline"})
    plain = runner.submit("what-if", "dan", 1.0, lambda p: (_ for _ in ()).throw(JobFailed("no orders for 2026-11-24")))
    crash = runner.submit("what-if", "dan", 1.0, lambda p: 1 / 0)
    assert runner.wait(plain.id, 10).to_dict()["message"] == "no orders for 2026-11-24"
    message = runner.wait(crash.id, 10).to_dict()["message"]
    assert message == "the what-if failed: ZeroDivisionError: division by zero"
    assert "Traceback" not in message
    runner.shutdown()


def test_a_local_job_reports_progress_and_keeps_a_text_result(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'jobs.db'}")
    runner = JobRunner(db, {"SOLVER_CLUSTER": "inline"})
    release = threading.Event()

    def work(progress):
        progress.stage("searching")
        progress.done(1, 3, "simulated days")
        release.wait(10)
        return "20261124T080000-abc123"

    job = runner.submit("what-if", "plan", 10.0, work, tag="planner")
    assert [j.id for j in runner.active(tag="planner")] == [job.id]
    release.set()
    snap = runner.wait(job.id, 10).to_dict()
    assert snap["state"] == "done" and snap["result"] == "20261124T080000-abc123" and snap["fraction"] == 1.0
    assert runner.active() == []
    with pytest.raises(ValueError, match="cannot be stopped"):
        runner.stop(runner.submit("what-if", "plan", 10.0, lambda p: release.wait(10), tag="planner").id)
    runner.shutdown()


def test_a_dask_mode_app_without_a_scheduler_answer_says_what_to_check(tmp_path):
    from webui.jobs import NoSolverCluster, SolverCluster

    cluster = SolverCluster("local")
    with pytest.raises(NoSolverCluster, match=r"--scheduler tcp://127.0.0.1:9: no Dask scheduler answered"):
        cluster.start("tcp://127.0.0.1:9", timeout_s=1.0)
    with pytest.raises(ValueError, match="SOLVER_CLUSTER = 'threads'"):
        SolverCluster("threads")
