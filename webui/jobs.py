"""Background solves with progress the page can poll: rows of ``solve_jobs``, run on Dask.

A solve takes seconds to minutes, longer than a request should, and OR-Tools holds the GIL while
it searches, so solves leave the web process. :class:`JobRunner` writes each job as a row of
``solve_jobs`` and hands it to a :class:`SolverCluster`: the Dask cluster that ``lastmile serve``
starts (:func:`webui.serving.start_solver_cluster`: a LocalCluster, or ``--scheduler``), or, with
``SOLVER_CLUSTER = "inline"`` (tests), threads of this process running the same task function.
The worker (:func:`scenarios.dispatch.jobs.run_solve_job`) writes progress to the row, so any
server process answers the poll, and a finished plan survives a restart (``result_plan_id``).

States: ``queued`` -> ``running`` -> ``done`` (a result) / ``stopped`` (stopped early, the best
plan so far) / ``failed`` (a plain message; the traceback goes to the worker's log only). An
active job silent for two minutes (its worker or server died) is reported failed. One solve per
date at a time: :meth:`JobRunner.submit_solve` joins the active one, checked in the database.

Planner what-ifs (:meth:`JobRunner.submit`, a function of this process) are rows too, run on a
thread here.

Config: ``SOLVER_CLUSTER`` (``"local"``, the default: the Dask cluster; ``"inline"``: threads
here), ``SOLVER_PROCESSES`` and ``SOLVER_THREADS`` (the LocalCluster's worker processes and
threads each; env ``LASTMILE_SOLVER_PROCESSES``, ``LASTMILE_SOLVER_THREADS``), ``SOLVER_WORKERS``
(inline threads, default 1), ``SOLVER_NICE`` (10: the solver threads' CPU priority).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sqlalchemy import select, text, update

from scheduling.capacity_store import run_transaction
from scheduling.storage import Database
from scheduling.storage.models import SolveJob
from scenarios.dispatch.errors import JobFailed  # noqa: F401 - raised by the solves this runs
from scenarios.dispatch.jobs import (
    ACTIVE,
    HEARTBEAT_S,
    SOLVE_KINDS,
    STALE_MESSAGE,
    JobProgress,
    execute,
    expire_stale,
    run_solve_job,
    utcnow,
)

log = logging.getLogger(__name__)

Progress = JobProgress  # what a job's function gets: stage(), solution(), done()
CLUSTER_MODES = ("local", "inline")
DEFAULT_PROCESSES, DEFAULT_THREADS = 2, 1  # the LocalCluster's layout (see SolverCluster)


@dataclass(frozen=True)
class Job:
    """One background job as a reader sees it. Times in seconds; ``fraction`` in [0, 1]."""

    id: str
    kind: str
    owner: str
    tag: str
    state: str
    stage: str
    time_limit_s: float
    best_cost: float | None  # best objective seen so far, currency
    improvements: int
    done_share: float | None
    message: str
    result: Any
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    read_at: dt.datetime

    @classmethod
    def from_row(cls, row: SolveJob, now: dt.datetime) -> "Job":
        result: Any = row.result_plan_id
        if result is None:
            result = json.loads(row.params_json or "{}").get("result")
        return cls(row.id, row.kind, row.owner, row.tag, row.state, row.stage, row.time_limit_s, row.best_cost,
                   row.improvements, row.done_share, row.message, result, row.started_at, row.finished_at, now)

    @property
    def elapsed_s(self) -> float:
        if self.started_at is None:
            return 0.0
        return max(0.0, ((self.finished_at or self.read_at) - self.started_at).total_seconds())

    @property
    def fraction(self) -> float:
        if self.state in ("done", "stopped"):
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


class NoSolverCluster(RuntimeError):
    """The solver cluster cannot be reached or started; the message says what to check."""


class SolverCluster:
    """Where solves run: a ``dask.distributed`` Client (a LocalCluster of this server, or an
    external scheduler), or, in mode ``"inline"``, a thread pool of this process.

    ``processes`` x ``threads`` is the LocalCluster's layout. The default, 2 processes of 1
    thread, was chosen on a 2-core machine with ``benchmarks/booking_load.py --clients 16
    --seconds 30 --think-ms 1000 --dispatcher-solve 60``: offer latency did not tell the
    layouts apart (the workers run at nice 10; the differences were within run-to-run noise
    on a machine shared with other work), the booking re-solves did. With 1 x 1 a re-solve
    waited behind the dispatcher's 60 s solve (one done in the 30 s window, 35-40 s after it
    was asked, instead of 1.8 s); with 1 x 2 it shared the GIL and the PyVRP process with the
    dispatcher's solve (2.5 s each, OR-Tools alone); with 2 x 1 it kept its 1.8-2.0 s. The
    price is a second worker process: about 170 MB with the network loaded. A worker's solves
    use as many cores as it has threads (:func:`scenarios.dispatch.jobs.worker_cores`): with
    one, PyVRP runs inside the worker and no PyVRP process is started beside it.
    """

    def __init__(self, mode: str = "local", *, inline_workers: int = 1, processes: int = DEFAULT_PROCESSES,
                 threads: int = DEFAULT_THREADS):
        if mode not in CLUSTER_MODES:
            raise ValueError(f"SOLVER_CLUSTER = '{mode}': choose 'local' (the Dask cluster lastmile serve starts, "
                             "or its --scheduler) or 'inline' (threads of this process, for tests)")
        self.mode = mode
        self.processes, self.threads = processes, threads
        self.client = None
        self._local = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=inline_workers, thread_name_prefix="lastmile-job") if mode == "inline" else None

    @property
    def inline(self) -> bool:
        return self._pool is not None

    def start(self, scheduler: str | None = None, *, timeout_s: float = 10.0) -> None:
        """Connect to ``scheduler`` (tcp://HOST:PORT), or start a LocalCluster; once.

        Workers must not be daemonic (``distributed.worker.daemon = False``, set here for the
        process, since a nanny reads it again when it restarts a worker): the engine portfolio
        starts a PyVRP process from the worker. Raises :class:`NoSolverCluster` when the
        scheduler does not answer within ``timeout_s`` seconds.
        """
        if self._pool is not None:
            return
        with self._lock:
            if self.client is not None:
                return
            import dask
            from dask.distributed import Client, LocalCluster

            dask.config.set({"distributed.worker.daemon": False})
            if scheduler:
                try:
                    self.client = Client(scheduler, timeout=f"{timeout_s}s", set_as_default=False)
                except (OSError, TimeoutError, ValueError) as exc:
                    raise NoSolverCluster(
                        f"--scheduler {scheduler}: no Dask scheduler answered within {timeout_s:g} s "
                        f"({type(exc).__name__}: {exc}). "
                        "Check the address (tcp://HOST:8786) and that 'dask scheduler' runs there, "
                        "or leave --scheduler out to start a local cluster") from None
                return
            self._local = LocalCluster(n_workers=self.processes, threads_per_worker=self.threads, processes=True,
                                       dashboard_address=None, silence_logs=logging.WARNING)
            self.client = Client(self._local, set_as_default=False)

    def submit(self, fn: Callable, *args, key: str | None = None):
        """Run ``fn(*args)`` on the cluster (started on first use); a Future (Dask's or
        ``concurrent.futures``')."""
        if self._pool is not None:
            return self._pool.submit(fn, *args)
        if self.client is None:
            log.info("starting a local solver cluster on first use (%d x %d)", self.processes, self.threads)
            self.start()
        return self.client.submit(fn, *args, key=key, pure=False)

    def on_each_worker(self, fn: Callable, *args) -> list:
        """Run ``fn(*args)`` once as a task on every worker now (Dask only); the futures."""
        if self.client is None:
            return []
        workers = list(self.client.scheduler_info().get("workers", {}))
        return [self.client.submit(fn, *args, workers=[w], allow_other_workers=False, pure=False) for w in workers]

    def close(self) -> None:
        """Stop the local pool or cluster, or disconnect from the external scheduler."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            client, local, self.client, self._local = self.client, self._local, None, None
        if client is not None:
            client.close()
        if local is not None:
            local.close()


def cluster_solver(cluster: Callable[[], SolverCluster | None], nice: int = 10):
    """A ``solver(problem, time_limit_s)`` for :class:`~scheduling.tentative.TentativePlans` that
    runs the solve on the Dask workers of ``cluster()`` and waits for it (the waiting thread
    holds no GIL). Without a Dask client (inline mode, or before the cluster is up) it solves
    in this process, as before.
    """
    from scenarios.dispatch.jobs import solve_routing
    from scheduling.tentative import solve_here

    def solver(problem, time_limit_s: float):
        found = cluster()
        client = None if found is None else found.client
        if client is None:
            return solve_here(problem, time_limit_s)
        future = client.submit(solve_routing, problem, time_limit_s, nice, pure=False)
        return future.result(timeout=10 * time_limit_s + 120)

    return solver


def worker_config(config: Mapping[str, Any]) -> dict:
    """The app config a worker's Workbench needs: plain values, secrets left out."""
    plain = (str, int, float, bool, type(None))
    return {k: v for k, v in config.items() if k.isupper() and isinstance(v, plain)
            and not any(word in k for word in ("SECRET", "PASSWORD", "KEY"))}


def _lock_tag(s, tag: str) -> None:
    """Serialize job creation for ``tag`` until the transaction ends (the one-per-date check)."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"lastmile.solve_jobs:{tag}"})
    elif dialect == "sqlite":  # a write first takes SQLite's write lock for the whole transaction
        s.execute(update(SolveJob).where(text("0 = 1")).values(tag=SolveJob.tag))


class JobRunner:
    """Create, find, stop and wait for jobs; every answer comes from the ``solve_jobs`` table."""

    def __init__(self, db: Database, config: Mapping[str, Any], cluster: SolverCluster | None = None):
        self.db = db
        self.config = dict(config)
        self.scenario = str(config.get("SCENARIO", ""))
        self.nice = int(config.get("SOLVER_NICE", 10))
        layout = {k: int(config.get(f"SOLVER_{k.upper()}") or os.environ.get(f"LASTMILE_SOLVER_{k.upper()}") or default)
                  for k, default in (("processes", DEFAULT_PROCESSES), ("threads", DEFAULT_THREADS))}
        self.cluster = cluster or SolverCluster(str(config.get("SOLVER_CLUSTER", "local")),
                                                inline_workers=int(config.get("SOLVER_WORKERS", 1)), **layout)
        self._local = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lastmile-local-job")
        self._futures: dict[str, Any] = {}  # job id -> future: held until done, or Dask cancels the task
        self._lock = threading.Lock()
        self._keeper: threading.Thread | None = None
        self._warming: list = []
        self._closing = threading.Event()

    # -- creating -----------------------------------------------------------------------------
    def _insert(self, s, kind: str, owner: str, time_limit_s: float, tag: str, params: dict) -> SolveJob:
        now = utcnow()
        row = SolveJob(id=uuid.uuid4().hex[:16], kind=kind, owner=owner, tag=tag, scenario=self.scenario,
                       params_json=json.dumps(params), state="queued", stage="waiting for a free solver",
                       time_limit_s=float(time_limit_s), improvements=0, message="", stop_requested=False,
                       created_at=now, heartbeat_at=now)
        s.add(row)
        s.flush()
        return row

    def submit_solve(self, kind: str, owner: str, time_limit_s: float, params: Mapping[str, Any], tag: str) -> Job:
        """Queue a dispatcher solve of ``tag`` (the plan date), or join the active one for it.

        ``params``: ``{"date": ...}`` for ``plan``, ``{"plan_id": ...}`` for ``re-optimize``;
        the owner and time limit (seconds) are added.
        """
        if kind not in SOLVE_KINDS:
            raise ValueError(f"kind '{kind}': a solve job is one of {', '.join(SOLVE_KINDS)}")
        expire_stale(self.db, tag=tag)
        full = {**params, "user": owner, "time_limit_s": float(time_limit_s)}

        def work(s) -> tuple[Job, bool]:
            _lock_tag(s, tag)
            running = s.scalars(select(SolveJob).where(SolveJob.tag == tag, SolveJob.state.in_(ACTIVE))
                                .order_by(SolveJob.created_at).limit(1)).first()
            if running is not None:
                return Job.from_row(running, utcnow()), False  # one solve per day at a time: join it
            return Job.from_row(self._insert(s, kind, owner, time_limit_s, tag, full), utcnow()), True

        job, new = run_transaction(self.db, work)
        if new:
            self._dispatch(job.id, run_solve_job, self.db.url, worker_config(self.config), job.id,
                           0 if self.cluster.inline else self.nice)
        return job

    def submit(self, kind: str, owner: str, time_limit_s: float, fn: Callable[[JobProgress], Any], tag: str = "") -> Job:
        """Run ``fn(progress)`` on a thread of this process; its return value becomes the result."""
        row = run_transaction(self.db, lambda s: Job.from_row(self._insert(s, kind, owner, time_limit_s, tag, {}), utcnow()))

        def run_here(job_id: str) -> str:
            from scenarios.dispatch.jobs import claim

            if isinstance(claim(self.db, job_id), str):
                return "skipped"
            return execute(self.db, job_id, fn, kind)

        future = self._local.submit(run_here, row.id)
        with self._lock:
            self._futures[row.id] = future
        future.add_done_callback(lambda f: self._settled(row.id, f))  # at once if done: outside the lock
        self._start_keeper()
        return row

    def _dispatch(self, job_id: str, fn: Callable, *args) -> None:
        try:
            future = self.cluster.submit(fn, *args, key=f"solve-{job_id}")
        except Exception as exc:  # noqa: BLE001 - no cluster: the job fails with the reason, the page says so
            log.error("job %s could not be handed to the solver cluster: %s", job_id, exc)
            self._fail(job_id, f"the solve could not start: {exc}")
            return
        with self._lock:
            self._futures[job_id] = future
        future.add_done_callback(lambda f: self._settled(job_id, f))
        self._start_keeper()

    def _settled(self, job_id: str, future) -> None:
        with self._lock:
            self._futures.pop(job_id, None)
        if self._closing.is_set():
            return
        try:
            failed = future.cancelled() or future.exception() is not None
        except Exception:  # noqa: BLE001 - a cancelled Dask future raises when asked
            failed = True
        if failed:
            reason = "cancelled" if future.cancelled() else repr(future.exception())
            log.error("job %s: its task ended without a result (%s)", job_id, reason)
            self._fail(job_id, f"the solve's worker gave up ({reason}); plan again")
        elif future.result() == "orphaned":  # Dask ran it again after its worker died
            log.error("job %s: its worker died during the solve", job_id)
            self._fail(job_id, STALE_MESSAGE)

    def _fail(self, job_id: str, message: str) -> None:
        with self.db.session() as s:
            s.execute(update(SolveJob).where(SolveJob.id == job_id, SolveJob.state.in_(ACTIVE))
                      .values(state="failed", stage="failed", message=message[:2000], finished_at=utcnow()))

    def _start_keeper(self) -> None:
        """Beat for the jobs this process queued until a worker claims them (then the worker beats)."""
        with self._lock:
            if self._keeper is not None:
                return
            self._keeper = threading.Thread(target=self._keep, name="lastmile-job-keeper", daemon=True)
        self._keeper.start()

    def _keep(self) -> None:
        while not self._closing.wait(HEARTBEAT_S):
            with self._lock:
                ids = list(self._futures)
            if not ids:
                continue
            try:
                with self.db.session() as s:
                    s.execute(update(SolveJob).where(SolveJob.id.in_(ids), SolveJob.state == "queued")
                              .values(heartbeat_at=utcnow()))
            except Exception:  # noqa: BLE001 - retried at the next beat
                log.warning("could not beat for the queued jobs", exc_info=True)

    def warm_up(self) -> None:
        """Start each Dask worker's engines and load its scenario now, in the background, so
        the first solve does not pay for it (nothing to do inline)."""
        from scenarios.dispatch.jobs import warm_up_worker

        futures = self.cluster.on_each_worker(warm_up_worker, self.db.url, worker_config(self.config), self.nice)
        with self._lock:
            self._warming = futures  # held until done: a released future cancels its task

    # -- reading ------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        expire_stale(self.db, [job_id])
        with self.db.session() as s:
            row = s.get(SolveJob, job_id)
            return None if row is None else Job.from_row(row, utcnow())

    def snapshot(self, job_id: str) -> dict | None:
        job = self.get(job_id)
        return None if job is None else job.to_dict()

    def active(self, tag: str | None = None) -> list[Job]:
        """Jobs queued or running (with ``tag`` if given), oldest first."""
        expire_stale(self.db, tag=tag)
        q = select(SolveJob).where(SolveJob.state.in_(ACTIVE)).order_by(SolveJob.created_at)
        if tag is not None:
            q = q.where(SolveJob.tag == tag)
        with self.db.session() as s:
            now = utcnow()
            return [Job.from_row(r, now) for r in s.scalars(q).all()]

    def wait(self, job_id: str, timeout_s: float) -> Job | None:
        """Block until the job ends or ``timeout_s`` passes (for tests and the CLI)."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.get(job_id)
            if job is None or job.state not in ACTIVE or time.monotonic() >= deadline:
                return job
            time.sleep(0.05)

    # -- stopping -----------------------------------------------------------------------------
    def stop(self, job_id: str) -> Job | None:
        """Ask a solve to stop early and keep its best plan so far (a queued one never starts).

        Raises ``ValueError`` for a job kind that cannot stop (a what-if).
        """

        def work(s) -> Job | None:
            row = s.get(SolveJob, job_id)
            if row is None:
                return None
            if row.state in ACTIVE and row.kind not in SOLVE_KINDS:
                raise ValueError(f"a {row.kind} cannot be stopped; it ends by itself")
            if row.state in ACTIVE:
                row.stop_requested = True
            if row.state == "queued":
                row.state, row.stage, row.finished_at = "stopped", "stopped before it started", utcnow()
            return Job.from_row(row, utcnow())

        return run_transaction(self.db, work)

    def shutdown(self) -> None:
        """Stop watching (jobs in flight on a Dask cluster carry on and write their end themselves)."""
        self._closing.set()
        self._local.shutdown(wait=False, cancel_futures=True)
        self.cluster.close()
