"""Background jobs: states, progress, plain failure messages."""

from __future__ import annotations

import threading

from webui.jobs import JobFailed, JobRunner


def test_a_job_reports_progress_and_its_result():
    runner = JobRunner()
    release = threading.Event()

    def work(progress):
        progress.stage("searching")
        progress.solution(0.5, 1234.5)
        release.wait(5)
        return 42

    job = runner.submit("plan", "dan", 10.0, work, tag="2026-11-24")
    assert [j.id for j in runner.active(tag="2026-11-24")] == [job.id]
    release.set()
    done = runner.wait(job.id, 5)
    snap = done.to_dict()
    assert snap["state"] == "done" and snap["result"] == 42 and snap["fraction"] == 1.0
    assert snap["best_cost"] == 1234.5 and snap["improvements"] == 1
    assert runner.active() == []
    runner.shutdown()


def test_failures_carry_a_plain_message_and_no_traceback():
    runner = JobRunner()
    plain = runner.submit("plan", "dan", 1.0, lambda p: (_ for _ in ()).throw(JobFailed("no orders for 2026-11-24")))
    crash = runner.submit("plan", "dan", 1.0, lambda p: 1 / 0)
    assert runner.wait(plain.id, 5).to_dict()["message"] == "no orders for 2026-11-24"
    message = runner.wait(crash.id, 5).to_dict()["message"]
    assert message == "the plan failed: ZeroDivisionError: division by zero"
    assert "Traceback" not in message
    runner.shutdown()
