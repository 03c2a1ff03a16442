"""Background solves with progress the page can poll.

A solve takes seconds to minutes, longer than a request should. :class:`JobRunner` runs each
job on a small thread pool and keeps its state in memory: ``queued`` -> ``running`` ->
``done`` (with a result) or ``failed`` (with a plain message for the page; the traceback goes
to the log only). Jobs are forgotten ``keep_s`` seconds after they finish; their results
(saved plans) live in the database.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger(__name__)


from scenarios.dispatch.errors import JobFailed  # noqa: F401 - raised by the solves this runs


@dataclass
class Job:
    """One background task. Times in seconds; ``fraction`` in [0, 1]."""

    id: str
    kind: str
    owner: str
    time_limit_s: float
    tag: str = ""  # what the job works on, e.g. the plan date, so a page can find it again
    state: str = "queued"
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    best_cost: float | None = None  # best objective seen so far, currency
    improvements: int = 0
    done_share: float | None = None  # share of the work done, when the job can count it
    stage: str = "waiting for a free solver"
    message: str = ""
    result: Any = None

    @property
    def elapsed_s(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def fraction(self) -> float:
        if self.state == "done":
            return 1.0
        if self.state != "running":
            return 0.0
        if self.done_share is not None:
            return min(0.99, self.done_share)
        if self.time_limit_s <= 0:
            return 0.0
        # Snapping and matrices come before the search; cap below 1 until the job reports done.
        return min(0.99, self.elapsed_s / (self.time_limit_s + 2.0))

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "tag": self.tag,
            "state": self.state,
            "stage": self.stage,
            "elapsed_s": round(self.elapsed_s, 1),
            "time_limit_s": self.time_limit_s,
            "fraction": round(self.fraction, 3),
            "best_cost": None if self.best_cost is None else round(self.best_cost, 2),
            "improvements": self.improvements,
            "message": self.message,
            "result": self.result if isinstance(self.result, (int, str, float, dict, type(None))) else None,
        }


class Progress:
    """What a running job's function gets: report the stage and each improved solution."""

    def __init__(self, job: Job, lock: threading.Lock):
        self._job = job
        self._lock = lock

    def stage(self, text: str) -> None:
        with self._lock:
            self._job.stage = text

    def done(self, finished: int, total: int, what: str = "steps") -> None:
        """Report countable progress: ``finished`` of ``total`` (e.g. simulated days)."""
        with self._lock:
            self._job.done_share = finished / total if total else 0.0
            self._job.stage = f"{finished} of {total} {what} done"

    def solution(self, elapsed_s: float, objective: float) -> None:
        """Report an improved solution found after ``elapsed_s`` seconds; ``objective`` in currency."""
        with self._lock:
            self._job.improvements += 1
            self._job.best_cost = objective
            self._job.stage = "searching for better routes"


class JobRunner:
    def __init__(self, max_workers: int = 1, keep_s: float = 3600.0):
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lastmile-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep_s = keep_s

    def submit(self, kind: str, owner: str, time_limit_s: float, fn: Callable[[Progress], Any], tag: str = "") -> Job:
        """Queue ``fn(progress)``; its return value becomes ``job.result``."""
        job = Job(id=uuid.uuid4().hex[:16], kind=kind, owner=owner, time_limit_s=time_limit_s, tag=tag)
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, fn)
        return job

    def _run(self, job: Job, fn: Callable[[Progress], Any]) -> None:
        with self._lock:
            job.state, job.started, job.stage = "running", time.monotonic(), "preparing"
        try:
            result = fn(Progress(job, self._lock))
        except JobFailed as exc:
            with self._lock:
                job.state, job.message = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - a failed job must never take the server down
            log.exception("job %s (%s) failed", job.id, job.kind)
            with self._lock:
                job.state = "failed"
                job.message = f"the {job.kind} failed: {type(exc).__name__}: {exc}".strip()
        else:
            with self._lock:
                job.state, job.result, job.stage = "done", result, "finished"
        finally:
            with self._lock:
                job.finished = time.monotonic()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def snapshot(self, job_id: str) -> dict | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.to_dict()

    def active(self, tag: str | None = None) -> list[Job]:
        """Jobs queued or running (with ``tag`` if given)."""
        with self._lock:
            return [j for j in self._jobs.values() if j.state in ("queued", "running") and (tag is None or j.tag == tag)]

    def wait(self, job_id: str, timeout_s: float) -> Job | None:
        """Block until the job finishes or ``timeout_s`` passes (for tests and the CLI)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.state in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def _forget_old(self) -> None:
        now = time.monotonic()
        for jid in [j.id for j in self._jobs.values() if j.finished and now - j.finished > self._keep_s]:
            del self._jobs[jid]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
