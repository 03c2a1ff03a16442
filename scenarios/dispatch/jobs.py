"""The worker side of the dispatcher's background solves: run a ``solve_jobs`` row, report in it.

A job is a row of ``solve_jobs`` (:class:`~scheduling.storage.models.SolveJob`); whoever runs it
(a Dask worker process, or a thread of the web server for tests) writes its progress there, and
any web server process answers the page's poll from the row::

    queued --claim--> running --> done     (result_plan_id)
       |                  |-----> stopped  (stop asked; the best plan so far, result_plan_id)
       |                  '-----> failed   (message in plain words)
       '--stop asked--> stopped            (before it started: no plan)

:func:`run_solve_job` is the Dask task: a top-level function of plain arguments (picklable).
It claims the row (``queued`` -> ``running``; a row someone else claimed or stopped is left
alone), builds the :class:`~scenarios.dispatch.workbench.Workbench` once per worker process,
and runs it with a :class:`JobProgress` that writes stage, best cost and improvements at most
every ``WRITE_EVERY_S`` seconds, a heartbeat every ``HEARTBEAT_S`` seconds, and answers
``should_stop()`` from the row's ``stop_requested`` (read at most every ``WRITE_EVERY_S``).

A running row whose heartbeat is older than ``STALE_AFTER_S`` belongs to a worker or server
that died; readers report it failed with :data:`STALE_MESSAGE` (see :func:`expire_stale`).
Sooner, when Dask reruns the task of a dead worker, the rerun finds its row running and
returns ``"orphaned"``, and the server that submitted it reports it failed at once.

Units: seconds; ``best_cost`` in the scenario currency; timestamps naive UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
import threading
import time
from typing import Any, Callable, Mapping

from sqlalchemy import or_, select, update

from scheduling.capacity_store import run_transaction
from scheduling.storage import Database, open_database
from scheduling.storage.models import SolveJob
from scenarios.dispatch.errors import JobFailed

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "stopped")
SOLVE_KINDS = ("plan", "re-optimize", "vehicle-out")
WRITE_EVERY_S = 0.5  # progress writes and stop-flag reads, at most this often
HEARTBEAT_S = 10.0  # a running job proves it is alive this often
STALE_AFTER_S = 120.0  # an active job silent for this long is dead
STALE_MESSAGE = "the solve stopped when its worker or the server restarted; plan again"
DEFAULT_NICE = 10  # solver threads yield the CPU to the web server's request threads


def utcnow() -> dt.datetime:
    """Now as naive UTC, as the ``solve_jobs`` columns store it."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# --------------------------------------------------------------------------- row changes


def claim(db: Database, job_id: str) -> dict | str:
    """Mark a queued job running and return its params; else the state it is in (``"gone"``
    for no row).

    A job whose stop was asked while it waited is marked ``stopped`` here, without a plan.
    """

    def work(s) -> dict | str:
        row = s.get(SolveJob, job_id)
        if row is None:
            return "gone"
        if row.state != "queued":
            return row.state
        now = utcnow()
        if row.stop_requested:
            row.state, row.stage, row.finished_at = "stopped", "stopped before it started", now
            return row.state
        row.state, row.stage, row.started_at, row.heartbeat_at = "running", "preparing", now, now
        return json.loads(row.params_json or "{}")

    return run_transaction(db, work)


def finish(db: Database, job_id: str, state: str, *, result: Any = None, message: str = "", stage: str = "",
           progress: "JobProgress | None" = None) -> bool:
    """Write a running job's end (``done``, ``stopped`` or ``failed``); False if it was not running.

    An ``int`` result is a saved plan's id (``result_plan_id``); any other JSON value (a what-if
    run id) is kept in ``params_json["result"]``.
    """
    if state not in FINISHED:
        raise ValueError(f"state '{state}': a job ends as one of {', '.join(FINISHED)}")

    def work(s) -> bool:
        row = s.get(SolveJob, job_id)
        if row is None or row.state != "running":
            return False  # expired as stale meanwhile, or gone: the reader's word stands
        now = utcnow()
        if progress is not None:
            progress.apply(row)
        row.state, row.message, row.finished_at, row.heartbeat_at = state, message, now, now
        row.stage = stage or {"done": "finished", "stopped": "stopped early; the best plan so far is kept",
                              "failed": "failed"}[state]
        if isinstance(result, int) and not isinstance(result, bool):
            row.result_plan_id = result
        elif result is not None:
            row.params_json = json.dumps(json.loads(row.params_json or "{}") | {"result": result})
        return True

    return run_transaction(db, work)


def expire_stale(db: Database, job_ids: list[str] | None = None, *, tag: str | None = None,
                 now: dt.datetime | None = None, stale_after_s: float = STALE_AFTER_S) -> int:
    """Mark active jobs silent for over ``stale_after_s`` seconds failed (:data:`STALE_MESSAGE`).

    Only the given ids, or the jobs of ``tag``; returns how many were marked. A read first, so
    the page's poll writes (and takes SQLite's write lock) only when there is a job to expire.
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=stale_after_s)
    seen = SolveJob.heartbeat_at
    silent = (SolveJob.state.in_(ACTIVE), or_(seen < cutoff, (seen.is_(None)) & (SolveJob.created_at < cutoff)))
    q = select(SolveJob.id).where(*silent)
    if job_ids is not None:
        q = q.where(SolveJob.id.in_(job_ids))
    if tag is not None:
        q = q.where(SolveJob.tag == tag)
    with db.session() as s:
        found = list(s.scalars(q))
        if not found:
            return 0
        stmt = (update(SolveJob).where(SolveJob.id.in_(found), *silent)
                .values(state="failed", message=STALE_MESSAGE, stage="failed", finished_at=now))
        return s.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


# --------------------------------------------------------------------------- progress


class JobProgress:
    """What a running job reports through: ``stage``, ``solution``, ``done``; ``should_stop``.

    Reports are kept here and written to the row at most every ``write_every_s`` seconds (the
    last one is never lost: :meth:`flush`, and :func:`finish` writes them with the end state).
    Database errors while reporting are logged, never raised into the solver.
    """

    def __init__(self, db: Database, job_id: str, *, write_every_s: float = WRITE_EVERY_S):
        self.db = db
        self.job_id = job_id
        self.write_every_s = write_every_s
        self._lock = threading.Lock()
        self._stage: str | None = None
        self._best_cost: float | None = None
        self._improvements = 0
        self._done_share: float | None = None
        self._dirty = False
        self._written = 0.0
        self._checked = 0.0
        self._stop = False
        self.stop_seen = False  # the stop asked in the row was passed on to the solver
        self.abandoned = False  # the row is no longer running (expired as stale): stop, write nothing

    # -- reports ------------------------------------------------------------------------------
    def stage(self, text: str) -> None:
        with self._lock:
            self._stage, self._dirty = text[:200], True
        self._maybe_write(force=True)  # stages are rare and the page shows them

    def solution(self, elapsed_s: float, objective: float) -> None:
        """An improved solution after ``elapsed_s`` seconds; ``objective`` in currency."""
        with self._lock:
            self._improvements += 1
            self._best_cost = float(objective)
            self._stage, self._dirty = "searching for better routes", True
        self._maybe_write()

    def done(self, finished: int, total: int, what: str = "steps") -> None:
        """Countable progress: ``finished`` of ``total`` (e.g. simulated days)."""
        with self._lock:
            self._done_share = finished / total if total else 0.0
            self._stage, self._dirty = f"{finished} of {total} {what} done", True
        self._maybe_write()

    # -- stop -----------------------------------------------------------------------------------
    def should_stop(self) -> bool:
        """True once a stop was asked for this job (read from the row, at most every ``write_every_s``)."""
        if self._stop:
            return True
        now = time.monotonic()
        if now - self._checked < self.write_every_s:
            return False
        self._checked = now
        try:
            with self.db.session() as s:
                found = s.execute(select(SolveJob.state, SolveJob.stop_requested).where(SolveJob.id == self.job_id)).first()
        except Exception:  # noqa: BLE001 - a failed read must not break the solve; ask again later
            log.warning("job %s: could not read its stop flag", self.job_id, exc_info=True)
            return False
        if found is None or found[0] != "running":
            self.abandoned = self._stop = True
        elif found[1]:
            self.stop_seen = self._stop = True
        return self._stop

    # -- writing --------------------------------------------------------------------------------
    def apply(self, row: SolveJob) -> None:
        """Copy the reports into ``row`` (in the caller's session)."""
        with self._lock:
            if self._stage is not None:
                row.stage = self._stage
            row.best_cost, row.improvements, row.done_share = self._best_cost, self._improvements, self._done_share
            self._dirty = False

    def _maybe_write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < self.write_every_s:
            return
        self.flush()

    def flush(self) -> None:
        """Write the reports (and a heartbeat) to the row now, if it is still running."""
        with self._lock:
            values = {"heartbeat_at": utcnow()}
            if self._dirty:
                values |= {"best_cost": self._best_cost, "improvements": self._improvements, "done_share": self._done_share}
                if self._stage is not None:
                    values["stage"] = self._stage
            self._dirty = False
            self._written = time.monotonic()
        try:
            with self.db.session() as s:
                s.execute(update(SolveJob).where(SolveJob.id == self.job_id, SolveJob.state == "running").values(**values))
        except Exception:  # noqa: BLE001 - progress is best effort; the end state is written with retries
            log.warning("job %s: could not write its progress", self.job_id, exc_info=True)


class _Heartbeat:
    """Beats for a running job every ``every_s`` seconds on a thread of its own (while the
    solver runs Python between its C++ steps, this thread gets its turn)."""

    def __init__(self, progress: JobProgress, every_s: float = HEARTBEAT_S):
        self._progress, self._every_s = progress, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{progress.job_id}", daemon=True)

    def __enter__(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self._progress.flush()


def execute(db: Database, job_id: str, work: Callable[[JobProgress], Any], kind: str = "job",
            *, heartbeat_s: float = HEARTBEAT_S) -> str:
    """Run ``work(progress)`` for a claimed (running) job and write how it ended; returns the state.

    ``JobFailed`` gives its message as it is; any other error is logged with its traceback and
    the page gets one plain line. A job whose stop was seen ends ``stopped`` with the plan its
    solve returned.
    """
    progress = JobProgress(db, job_id)
    try:
        with _Heartbeat(progress, heartbeat_s):
            result = work(progress)
    except JobFailed as exc:
        state, kw = "failed", {"message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a failed job must never take its worker down
        log.exception("job %s (%s) failed", job_id, kind)
        state, kw = "failed", {"message": f"the {kind} failed: {type(exc).__name__}: {exc}".strip()}
    else:
        state, kw = ("stopped" if progress.stop_seen else "done"), {"result": result}
    if progress.abandoned:
        return "abandoned"
    finish(db, job_id, state, progress=progress, **kw)
    return state


# --------------------------------------------------------------------------- the Dask task

_databases: dict[str, Database] = {}
_workbenches: dict[tuple[str, str], Any] = {}
_cache_lock = threading.Lock()


def database_for(db_url: str) -> Database:
    """The process's connection pool to ``db_url`` (opened once; the server migrated it)."""
    with _cache_lock:
        db = _databases.get(db_url)
        if db is None:
            db = _databases[db_url] = open_database(db_url, migrate=False)
        return db


def workbench_for(db_url: str, config: Mapping[str, Any]):
    """The process's :class:`Workbench` for this database and config (scenario and network load once)."""
    from scenarios.dispatch.workbench import Workbench

    key = (db_url, json.dumps(dict(config), sort_keys=True, default=str))
    with _cache_lock:
        wb = _workbenches.get(key)
    if wb is None:
        wb = Workbench(database_for(db_url), config)
        with _cache_lock:
            wb = _workbenches.setdefault(key, wb)
    return wb


_niced_to = 0


def lower_priority(nice: int = DEFAULT_NICE) -> None:
    """Make this process nice ``nice`` at least: every thread it has, and so every thread and
    process they start (the portfolio's PyVRP process); once per process.

    On Linux a nice value belongs to a thread, so each thread of ``/proc/self/task`` is set;
    elsewhere the process is. Raising niceness needs no privilege.
    """
    global _niced_to
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    with _cache_lock:
        if _niced_to >= nice and os.getpriority(os.PRIO_PROCESS, 0) >= nice:
            return
        try:
            tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["0"]
            for tid in tasks:
                try:
                    if os.getpriority(os.PRIO_PROCESS, int(tid)) < nice:
                        os.setpriority(os.PRIO_PROCESS, int(tid), nice)
                except ProcessLookupError:  # the thread ended meanwhile
                    pass
            _niced_to = nice
        except OSError:
            log.warning("could not lower the solver's CPU priority to nice %d", nice, exc_info=True)


def worker_cores() -> int | None:
    """The threads of the Dask worker running this task: the cores its solves may use (each
    thread runs one solve), so the web server and the other workers keep the rest. ``None``
    outside a Dask worker (a solve then may use the machine's cores)."""
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):  # not in a worker, or another Dask layout
        return None


def _solve_cores_here() -> int:
    """The cores this worker's solves may use; warns when a relay (two or more) cannot start its
    PyVRP process from a daemonic worker."""
    from optimizer.engine.cores import solve_cores

    cores = solve_cores(worker_cores())
    if cores >= 2:
        _warn_if_daemonic()
    return cores


def warm_up_worker(db_url: str, config: Mapping[str, Any], nice: int = DEFAULT_NICE) -> int:
    """Pay a worker's start-up before its first solve: lower its priority, start the engine
    portfolio's PyVRP process (only a worker of two threads or more relays: see
    :func:`worker_cores`) or import PyVRP, load the scenario and its street network. Returns the pid."""
    from optimizer.engine.portfolio import warm_up

    lower_priority(nice)
    if _solve_cores_here() >= 2:
        warm_up()
    else:
        import pyvrp  # noqa: F401 - the one-core portfolio runs it in this process
    try:
        workbench_for(db_url, config).network
    except Exception:  # noqa: BLE001 - the first job reports a broken scenario in plain words
        log.warning("warming up: the scenario could not be loaded", exc_info=True)
    return os.getpid()


def _warn_if_daemonic() -> None:
    if multiprocessing.current_process().daemon:
        log.warning("this solver runs in a daemonic process: the engine portfolio cannot start its PyVRP process "
                    "and OR-Tools solves alone. Start Dask workers with DASK_DISTRIBUTED__WORKER__DAEMON=False.")


def run_solve_job(db_url: str, config: Mapping[str, Any], job_id: str, nice: int = DEFAULT_NICE) -> str:
    """Run the dispatcher solve ``job_id`` (a row of ``solve_jobs``) here; returns its end state.

    The row's ``params_json`` holds ``user`` and ``time_limit_s``, and ``date`` (kind ``plan``)
    or ``plan_id`` (kind ``re-optimize``). A row that is not queued is left alone: ``"skipped"``
    (stopped while it waited, or already ended), or ``"orphaned"`` when it is running: Dask
    runs a task again only after the worker running it died, so that earlier attempt is dead.
    """
    from optimizer.engine.cores import using_cores
    from optimizer.engine.stopping import stop_when

    lower_priority(nice)
    cores = _solve_cores_here()
    db = database_for(db_url)
    params = claim(db, job_id)
    if isinstance(params, str):
        return "orphaned" if params == "running" else "skipped"
    with db.session() as s:
        kind = s.get(SolveJob, job_id).kind

    def work(progress: JobProgress) -> int:
        if kind not in SOLVE_KINDS:
            raise JobFailed(f"job kind '{kind}' is not a solve; the solver runs {', '.join(SOLVE_KINDS)}")
        wb = workbench_for(db_url, config)
        user, limit = str(params.get("user", "")), float(params["time_limit_s"])
        with stop_when(progress.should_stop), using_cores(cores):
            if kind == "plan":
                return wb.plan(str(params["date"]), user, limit, progress)
            if kind == "vehicle-out":
                return _vehicle_out(wb, params, user, limit, progress)
            return wb.reoptimize(int(params["plan_id"]), user, limit, progress)

    return execute(db, job_id, work, kind)


def _vehicle_out(wb, params: Mapping[str, Any], user: str, limit: float, progress: "JobProgress") -> int:
    """A van out of service from ``params["from"]`` (HH:MM): its remaining stops re-planned and
    published (:mod:`scenarios.execution.disruption`); returns the new plan's id."""
    from scenarios.execution.disruption import DisruptionError, out_of_service_from_form

    progress.stage(f"re-planning the stops of {params['vehicle_id']} onto the other vans")
    try:
        replan = out_of_service_from_form(wb.db, wb.scenario_name, str(params["date"]), str(params["vehicle_id"]),
                                          str(params["from"]), str(params.get("reason", "")), user, limit)
    except DisruptionError as exc:
        raise JobFailed(f"{exc.field}: {exc.message}") from None
    if replan.plan_id is None:
        raise JobFailed(replan.message or f"{params['vehicle_id']} had nothing left to re-plan; its outage is stored")
    return replan.plan_id


def solve_routing(problem, time_limit_s: float, nice: int = DEFAULT_NICE):
    """A routing solve on a worker (the booking API's background re-solves): the portfolio at
    low CPU priority, on the worker's own cores. ``problem`` is a
    :class:`~optimizer.problem.RoutingProblem`; seconds."""
    from optimizer.engine.portfolio import solve

    lower_priority(nice)
    return solve(problem, time_limit_s, cores=worker_cores())
