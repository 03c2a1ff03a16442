"""The engine portfolio: two PyVRP searches that trade plans, OR-Tools as the model of record.

``solve(problem, T, engine="auto")`` on two cores:

* core 1, worker process, and core 2, this process: PyVRP searches with seeds ``seed`` and
  ``seed + 1``; every :func:`exchange_interval` each posts its best solution if it improved and
  the one behind restarts from the one ahead, perturbed its own way
  (:mod:`optimizer.engine.exchange`), each with the late-acceptance memory its budget
  calls for (:mod:`optimizer.engine.tuning`); with a starting plan (``problem.initial_routes``) the
  worker starts from it and this process from scratch. Two cores so buy one search spread over both, not a
  second core that rarely helps (the OR-Tools half of the former race-and-polish relay kept
  PyVRP's own plan on 13 of 15 instances: ``docs/engine.md``);
* OR-Tools, where it pays (:func:`polish_pays`: soft windows and pickup-and-delivery pairs,
  where PyVRP's relaxation is loose): this process's search ends at
  :data:`RELAXED_PYVRP_SHARE` of the search time and OR-Tools polishes its plan under the
  exact model while the worker searches on; when this process's search holds no
  feasible plan one exchange after :data:`SAFETY_NET_SHARE` of the search time (a day PyVRP
  cannot serve whole), OR-Tools solves from scratch for the rest;
* judge: every plan is re-walked by :mod:`optimizer.checker` and priced with one cost
  definition (distance * cost_per_m + span * cost_per_s + fixed costs + penalties of dropped
  optional stops). Plans with window, shift, capacity, lock or duplicate violations are
  discarded; among the rest fewer dropped required stops wins, then the lower price. A PyVRP
  plan must also be accepted by the OR-Tools model of record
  (:func:`~optimizer.engine.ortools_solver.read_in_ortools`); the best one that is, is kept.

The worker is a persistent spawn-context process, so only the first call pays its start-up
(call :func:`warm_up` early to pay it before the first solve). Scripts that call ``solve`` must
guard their entry point with ``if __name__ == "__main__":`` (spawn re-imports it). If PyVRP
cannot express the problem, OR-Tools gets the whole budget (``meta["fallback"]`` says why); if
the worker cannot start or fails, this process's search carries on alone (``meta["pyvrp_error"]``).

On one core (``cores=1``, or inside :func:`~optimizer.engine.cores.using_cores`, as a one-thread
Dask worker of the server solves) there is no second process: PyVRP searches in this process
for the budget less the judging reserve, and its plan is judged as above (``"pyvrp+ortools"``);
OR-Tools alone if it is not sound.

Locks (``allowed_vehicles``: a dispatcher's locks, a re-plan's stops kept on the van that
carries their parcels) reach PyVRP as routing profiles with prohibitive edges into each locked
stop for the vehicles that may not serve it (:mod:`optimizer.engine.pyvrp_solver`), so a
locked re-optimization gets the same relay as a fresh plan. The only lock case left to
OR-Tools alone is one whose profiles would pass
:data:`~optimizer.engine.pyvrp_solver.PROFILE_BYTES_LIMIT` (one ``2 x n x n`` matrix pair per
distinct lock signature). Every PyVRP plan is re-walked by the checker, which reports a locked
stop on another vehicle as a ``locked`` violation, and must be accepted by the OR-Tools model,
whose vehicle restriction is the lock of record: a prohibitive edge is never kept.

Several windows reach PyVRP exactly (one client per window in a mutually exclusive group); soft
windows only as a relaxation (the last window widened by the allowed lateness, unpriced). Every
PyVRP plan (the one handed to the polish and the worker's) is re-walked by the checker
under the exact windows with lateness priced; one that breaks them is repaired first
(:func:`~optimizer.engine.repair.repair_windows`: the stops that break them are taken off and put
back where they fit, or dropped; ``meta["repaired"]`` lists them), and it must still be accepted
by the OR-Tools model to be kept. On one core, under soft windows, PyVRP gets
:data:`RELAXED_PYVRP_SHARE` of the search and OR-Tools polishes its plan for the rest.

``solution.engine`` names the source of the kept plan: ``"ortools"``, ``"pyvrp+ortools"``
(found by PyVRP, accepted by OR-Tools), ``"pyvrp+ortools-polish"`` (OR-Tools improved PyVRP's
plan) or ``"initial"`` (a re-optimization found nothing better than its starting plan,
``problem.initial_routes``). ``solution.meta["engines"]`` holds each plan's price and wall time (``"pyvrp"``: this
process's search, ``"pyvrp_worker"``, ``"polish"``, ``"ortools"``); ``meta["exchange"]`` how
many solutions each search took from the other.

Stopping early: ``should_stop`` (or the check set by :func:`optimizer.engine.stopping.stop_when`)
ends this process's search at its next iteration (or OR-Tools' leg at its next solution),
skips the polish, and tells the worker to end its search at its next iteration; the plans found so far are judged as usual
(``meta["stopped_early"]``).
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
import time
from collections.abc import Callable

import numpy as np

from optimizer.checker import CheckReport, check_solution
from optimizer.engine.cores import solve_cores
from optimizer.engine.ortools_solver import read_in_ortools, solve_ortools
from optimizer.engine.pace import machine_pace
from optimizer.engine.exchange import DEFAULT_INTERVAL_S, Mailboxes
from optimizer.engine.pyvrp_solver import relaxed, solve_pyvrp, unsupported_reason
from optimizer.engine.repair import reinsert_stops, repair_windows
from optimizer.engine.stopping import current_stop_check
from optimizer.problem import RoutingProblem, RoutingSolution

ENGINES = ("auto", "ortools", "pyvrp")
SAFETY_NET_SHARE = 0.5  # two cores: no feasible PyVRP plan by this share of the search, OR-Tools from scratch
JUDGE_RESERVE = (0.02, 0.2, 0.001)  # (share of budget, minimum s, s per node) kept for judging
REPAIR_S_PER_NODE = 0.001  # more kept where PyVRP's plan is re-walked and repaired under the exact model
BREAKS_S_PER_NODE = 0.0032  # and on days with drivers' breaks, whose re-walk is the slowest (reference machine)
MIN_POLISH_S = 0.3  # below this much time left, skip the polish
RELAXED_PYVRP_SHARE = 0.6  # relaxed problems: this process's PyVRP share of the search before OR-Tools polishes

_STOP = "stop!"
_conn = None  # the worker's end of the pipe (set in the worker process only)
_mail = None  # the worker's (inbox, outbox) of the exchange (set in the worker process only)
_asked: set[str] = set()  # in the worker: requests read from the pipe, not yet acted on


class _Worker:
    """A persistent spawn-context child process that runs top-level functions on request.

    Requests go over a pipe synchronously, so the job reaches the child even while this process
    then holds the GIL inside OR-Tools (an executor's feeder thread would be starved). Two
    queues carry the PyVRP searches' exchange (:mod:`optimizer.engine.exchange`), one each way.
    """

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.to_worker, self.to_parent = ctx.Queue(), ctx.Queue()
        self.process = ctx.Process(target=_serve, args=(child, self.to_worker, self.to_parent), daemon=True,
                                   name="lastmile-pyvrp")
        self.process.start()
        child.close()
        self.to_worker.cancel_join_thread()  # a post the worker never read must not hold this process at exit

    def mailboxes(self, tag: object) -> Mailboxes:
        """This process's side of the exchange with the worker's search of solve ``tag``."""
        return Mailboxes(self.to_parent, [self.to_worker], tag)

    def submit(self, fn: Callable, *args) -> None:
        self.conn.send(("call", fn, args))

    def request_stop(self) -> None:
        """Ask the running job to end its search at its next iteration (ignored once it has ended)."""
        self.conn.send(_STOP)

    def result(self, timeout_s: float):
        if not self.conn.poll(timeout_s):
            raise TimeoutError(f"worker gave no answer within {timeout_s:.1f} s")
        status, value = self.conn.recv()
        if status != "ok":
            raise RuntimeError(f"worker failed: {value}")
        return value

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout=1.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=1.0)
        self.conn.close()


def _serve(conn, inbox, outbox) -> None:
    """Child main loop: run ("call", fn, args) requests until told to stop or the pipe closes;
    ``inbox``/``outbox``: this side of the exchange (see :func:`_pyvrp_until`)."""
    global _conn, _mail
    _conn, _mail = conn, (inbox, outbox)
    outbox.cancel_join_thread()
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        if request == _STOP:  # arrived after the job ended
            continue
        _asked.clear()
        _, fn, args = request
        try:
            answer = ("ok", fn(*args))
        except Exception as exc:  # report, keep serving
            answer = ("error", repr(exc))
        try:
            conn.send(answer)
        except OSError:  # the parent is gone (killed with its server): nobody to answer
            return
        except Exception as exc:  # the answer could not be pickled
            conn.send(("error", repr(exc)))


def _read_requests() -> None:
    """In the worker: note the parent's stop request without blocking.
    A closed pipe means the parent is gone: stop searching."""
    try:
        while _conn is not None and _conn.poll():
            message = _conn.recv()
            if message == _STOP:
                _asked.add(message)
    except (EOFError, OSError):
        _asked.add(_STOP)


def _stop_wanted() -> bool:
    """In the worker: has the parent asked the search to stop? (Polled every PyVRP iteration.)"""
    _read_requests()
    return _STOP in _asked


def _pyvrp_until(problem: RoutingProblem, deadline: float, seed: int, tag: object,
                 interval_s: float) -> tuple[RoutingSolution, CheckReport, dict]:
    """Worker entry point: run PyVRP until the wall-clock ``deadline`` (epoch seconds), exchanging
    solutions every ``interval_s`` with the parent's search of solve ``tag``; then judge the plan
    here, repaired if need be (:func:`_judged`), while the parent judges its own: the plan, the
    checker's report and the repair's record."""
    inbox, outbox = _mail
    sol = solve_pyvrp(problem, max(0.05, deadline - time.time()), seed, should_stop=_stop_wanted,
                      mail=Mailboxes(inbox, [outbox], tag), exchange_interval_s=interval_s, tune_history=True)
    record: dict = {}
    sol, rep = _judged(problem, sol, "pyvrp_worker", record)
    return sol, rep, record.get("repaired", {})


_worker: _Worker | None = None
_worker_lock = threading.Lock()  # one relay at a time talks to the worker (pipe is not shared)


def _get_worker() -> _Worker:
    """The persistent PyVRP worker (started on first use, restarted after a failure)."""
    global _worker
    if _worker is None or not _worker.process.is_alive():
        _worker = _Worker()
        atexit.register(shutdown)
    return _worker


def shutdown() -> None:
    """Stop the PyVRP worker process (it is restarted on demand)."""
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None


def warm_up() -> None:
    """Start the worker and import the engines in it now rather than during the first solve."""
    worker = _get_worker()
    worker.submit(_noop)
    worker.result(60.0)


def _noop() -> None:
    import pyvrp  # noqa: F401


def _rank(report: CheckReport) -> tuple[int, int]:
    return len(report.dropped_required), report.objective


def _sound(report: CheckReport) -> bool:
    """No violations other than required stops left out."""
    return report.kinds() <= {"unserved"}


def _accepted(problem: RoutingProblem, routes, report: CheckReport, meta: dict) -> int | None:
    """The OR-Tools model of record's objective of a checker-sound PyVRP plan, or None if it
    rejects it. On a day with pickup-and-delivery pairs OR-Tools 9.15 fails to restore some sound
    routes (three pairs and a driver's break on one 51-stop route; any two of them restore), so
    there the checker's verdict stands and its price is kept (``meta["accepted_by_checker"]``)."""
    accepted = read_in_ortools(problem, routes)
    if accepted is None and problem.pairs and _sound(report):
        meta["accepted_by_checker"] = True
        return report.objective
    return accepted


def _judged(problem: RoutingProblem, sol: RoutingSolution, label: str, meta: dict) -> tuple[RoutingSolution, CheckReport]:
    """A PyVRP plan and the checker's report on it, repaired under the exact windows first when
    PyVRP searched a relaxation of them (several or soft windows, drivers' breaks, see
    :mod:`optimizer.engine.repair`) and the plan breaks them: the stops that do are taken off
    and put back where they fit (or dropped), so the plan is sound for the polish and the judge
    (``meta["repaired"]``: ``taken_off``, ``removed`` = left dropped)."""
    rep = check_solution(problem, sol)
    if _sound(rep) or not (problem.has_soft_or_several_windows() or problem.has_work_rules()):
        return sol, rep
    cut, taken_off = repair_windows(problem, sol.routes, reinsert=False)
    routes, removed = reinsert_stops(problem, cut, taken_off) if taken_off else (cut, [])
    fixed = RoutingSolution(routes, sorted(set(sol.dropped) | set(removed)), sol.objective, sol.engine, sol.wall_s,
                            dict(sol.meta) | {"repaired_removed": removed})
    fixed_rep = check_solution(problem, fixed)
    meta.setdefault("repaired", {})[label] = {"taken_off": taken_off, "removed": removed, "sound": _sound(fixed_rep),
                                               "violations_before": len(rep.violations)}
    return fixed, fixed_rep


def _finish(solution: RoutingSolution, report: CheckReport, engine: str, t0: float, meta: dict) -> RoutingSolution:
    return RoutingSolution(
        routes=[list(r) for r in solution.routes],
        dropped=sorted(report.dropped_required + report.dropped_optional),
        objective=report.objective,
        engine=engine,
        wall_s=time.perf_counter() - t0,
        meta=meta
        | {
            "feasible": report.feasible,
            "dropped_required": report.dropped_required,
            "distance": report.distance,
            "duration_total": report.duration_total,
            "used_vehicles": report.used_vehicles,
        },
    )


def _entry(solution: RoutingSolution, report: CheckReport, t0: float) -> dict:
    return {
        "objective": report.objective,
        "engine_objective": solution.objective,
        "wall_s": round(solution.wall_s, 3),
        "cpu_s": solution.meta.get("cpu_s"),
        "done_at_s": round(time.perf_counter() - t0, 3),
        "sound": _sound(report),
        "dropped_required": len(report.dropped_required),
    }


def solve(
    problem: RoutingProblem,
    time_limit_s: float,
    engine: str = "auto",
    seed: int = 0,
    progress: Callable[[float, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    cores: int | None = None,
) -> RoutingSolution:
    """Solve ``problem`` within about ``time_limit_s`` wall-clock seconds.

    ``engine``: ``"auto"`` (relay, see module docstring), ``"ortools"`` or ``"pyvrp"`` (falls
    back to OR-Tools if PyVRP cannot express the problem, see
    :func:`~optimizer.engine.pyvrp_solver.unsupported_reason`, or its plan is not sound). ``progress(elapsed_s, objective)``
    receives the improvements of the search in this process while it runs (PyVRP's cost, or
    OR-Tools' objective, which includes ``required_drop_penalty`` per dropped required stop;
    on relaxed days PyVRP's cost leaves lateness out) and the checker's price at the end.
    ``objective`` of the result is always the checker's price. ``should_stop()`` (default: the
    check of :func:`~optimizer.engine.stopping.stop_when`, if any) ends the search early with
    the best plan so far (see the module docstring). ``cores``: how many the solve may use
    (default: :func:`~optimizer.engine.cores.solve_cores`); with one, ``"auto"`` runs PyVRP in
    this process and judges its plan as the relay does, with no second process.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
    t0 = time.perf_counter()
    cores = solve_cores(cores)
    meta: dict = {"engines": {}, "cores": cores}
    user_stop = should_stop or current_stop_check()
    asked = [False]

    def stop() -> bool:
        if user_stop is None:
            return False
        if not asked[0] and user_stop():
            asked[0] = meta["stopped_early"] = True
        return asked[0]

    def ortools_only(reason: str | None, at_least_s: float = 0.1) -> RoutingSolution:
        if reason:
            meta["fallback"] = reason
        remaining = max(at_least_s, time_limit_s - (time.perf_counter() - t0))
        sol = solve_ortools(problem, remaining, progress=progress, should_stop=stop if user_stop else None)
        rep = check_solution(problem, sol)
        meta["engines"]["ortools"] = _entry(sol, rep, t0)
        if progress is not None and rep.objective != sol.objective:
            # the plan as judged (in rush hour OR-Tools prices its legs' bound, the checker the real times)
            progress(time.perf_counter() - t0, rep.objective)
        return _finish(sol, rep, "ortools", t0, meta)

    if engine == "ortools":
        return ortools_only(None)
    reason = unsupported_reason(problem)
    if reason is not None:
        return ortools_only(f"pyvrp not applicable: {reason}")

    if engine == "pyvrp":
        sol = solve_pyvrp(problem, time_limit_s, seed, should_stop=stop if user_stop else None)
        sol, rep = _judged(problem, sol, "pyvrp", meta)
        meta["engines"]["pyvrp"] = _entry(sol, rep, t0)
        if not _sound(rep):
            return ortools_only("pyvrp found no sound plan")
        return _finish(sol, rep, "pyvrp", t0, meta)
    if cores < 2:
        return _one_core(problem, time_limit_s, seed, progress, t0, meta, stop if user_stop else None, ortools_only)
    if not _worker_lock.acquire(blocking=False):  # another thread is relaying: don't share the pipe
        return ortools_only("pyvrp worker busy with another solve")
    try:
        return _relay(problem, time_limit_s, seed, progress, t0, meta, stop if user_stop else None, ortools_only)
    except BaseException:
        shutdown()  # the worker may still owe this solve its answer: the next solve gets a fresh one
        raise
    finally:
        _worker_lock.release()


def exchange_interval(search_s: float) -> float:
    """Seconds between the two searches' exchanges: a tenth of the search, from 0.5 s (a post
    costs a pickle of the solution) to :data:`~optimizer.engine.exchange.DEFAULT_INTERVAL_S`."""
    return min(DEFAULT_INTERVAL_S, max(0.5, search_s / 10))


def _judge_reserve(problem: RoutingProblem, time_limit_s: float) -> float:
    """Seconds kept at the end for judging: re-building the OR-Tools model to validate PyVRP's
    plan takes about 1 s per 1000 nodes; where PyVRP searched a relaxation, re-walking and
    repairing its plan about 1 s more, and with drivers' breaks the checker's re-walk alone
    3.2 s on the reference machine (Gothenburg 1000-order day; the worker judges its own plan
    at the same time). The re-walk is pure Python, so that part follows
    :func:`~optimizer.engine.pace.machine_pace`: a fixed reserve made the call overrun a 30 s
    limit by 2-3 s on a machine a third slower."""
    share, minimum, per_node = JUDGE_RESERVE
    if relaxed(problem):
        per_node += REPAIR_S_PER_NODE
    if problem.has_breaks():
        per_node += BREAKS_S_PER_NODE * machine_pace()
    return max(share * time_limit_s, minimum + per_node * problem.n)


def polish_pays(problem: RoutingProblem) -> bool:
    """Whether OR-Tools polishes PyVRP's plan: where PyVRP's relaxation is loose, soft windows
    (lateness unpriced) and pickup-and-delivery pairs (PyVRP leaves out an optional shipment
    that fits only after a delivery has made room). With drivers' breaks only, the repaired
    PyVRP plan is close: on the Gothenburg 1000-order day at 30 s the polish never won
    (docs/engine.md), so both cores search with PyVRP for the whole budget."""
    soft = problem.late_allowed is not None and bool(np.any(problem.late_allowed > 0))
    return soft or bool(problem.pairs)


def _add_starting_plan(problem: RoutingProblem, candidates: list, meta: dict, t0: float) -> None:
    """A re-optimization never returns a plan worse than where it started: the starting plan
    (``problem.initial_routes``), if the checker finds it sound, is a candidate (engine
    ``"initial"``). The searches start from it, but PyVRP judges plans on its relaxation, so the
    plan it ends on may price higher under the exact model (measured: 13,990 against a 13,964
    SEK start on the Gothenburg day with breaks and rush hours)."""
    if not problem.initial_routes:
        return
    served = {node for route in problem.initial_routes for node in route}
    start = RoutingSolution([list(r) for r in problem.initial_routes],
                            [node for node in problem.stop_nodes() if node not in served], 0, "initial", 0.0)
    rep = check_solution(problem, start)
    meta["engines"]["initial"] = _entry(start, rep, t0)
    if _sound(rep):
        candidates.append((start, rep, "initial"))


def _one_core(problem, time_limit_s, seed, progress, t0, meta, should_stop, ortools_only) -> RoutingSolution:
    """The relay on one core: PyVRP searches in this process, its plan judged by the checker
    and accepted by the OR-Tools model of record; OR-Tools alone if it is not.

    When PyVRP searched a relaxation (soft windows, breaks: :func:`~optimizer.engine.pyvrp_solver.relaxed`), it gets
    :data:`RELAXED_PYVRP_SHARE` of the search; its plan is repaired under the exact windows and
    OR-Tools polishes it for the rest (lateness priced, exact windows), and the better of the two
    sound plans is kept."""
    reserve = _judge_reserve(problem, time_limit_s)
    search_s = max(0.1, time_limit_s - reserve)
    is_relaxed = polish_pays(problem)
    pyvrp_s = RELAXED_PYVRP_SHARE * search_s if is_relaxed else search_s
    sol = solve_pyvrp(problem, pyvrp_s, seed, progress=progress, should_stop=should_stop, tune_history=True)
    sol, rep = _judged(problem, sol, "pyvrp", meta)
    meta["engines"]["pyvrp"] = _entry(sol, rep, t0)
    candidates: list[tuple[RoutingSolution, CheckReport, str]] = []
    if _sound(rep):
        accepted = _accepted(problem, sol.routes, rep, meta)
        meta["engines"]["pyvrp"]["ortools_objective"] = accepted
        if accepted is not None:
            candidates.append((sol, rep, "pyvrp+ortools"))
    polish_s = search_s - (time.perf_counter() - t0)
    if is_relaxed and candidates and polish_s >= MIN_POLISH_S and not (should_stop is not None and should_stop()):
        polished = solve_ortools(problem, polish_s, initial=sol, should_stop=should_stop)
        pol_rep = check_solution(problem, polished)
        meta["engines"]["polish"] = _entry(polished, pol_rep, t0)
        if _sound(pol_rep) and polished.meta.get("seeded"):
            name = "pyvrp+ortools-polish" if _rank(pol_rep) < _rank(rep) else "pyvrp+ortools"
            candidates.append((polished, pol_rep, name))
    _add_starting_plan(problem, candidates, meta, t0)
    if candidates:
        best, best_rep, best_engine = min(candidates, key=lambda c: _rank(c[1]))
        result = _finish(best, best_rep, best_engine, t0, meta)
        if progress is not None:
            progress(result.wall_s, result.objective)
        return result
    # Rare (PyVRP found no feasible plan): OR-Tools gets what is left, and at least the reserve.
    return ortools_only("one core: PyVRP found no plan the OR-Tools model accepts", at_least_s=reserve)


def _relay(problem, time_limit_s, seed, progress, t0, meta, should_stop, ortools_only) -> RoutingSolution:
    """Two PyVRP searches, the worker's (``seed``) and this process's (``seed + 1``), that hand
    each other their best solution every :func:`exchange_interval`; then every plan is judged
    and the winner validated by the OR-Tools model of record. Where a polish pays
    (:func:`polish_pays`) this process stops at
    :data:`RELAXED_PYVRP_SHARE` of the search and OR-Tools polishes its (repaired) plan under the
    exact model while the worker searches on. If this process's search holds no feasible plan at
    :data:`SAFETY_NET_SHARE` of the search (a day PyVRP cannot serve whole), OR-Tools solves
    from scratch for the rest."""
    reserve = _judge_reserve(problem, time_limit_s)
    search_s = max(0.1, time_limit_s - reserve)  # every search ends by then
    is_relaxed = polish_pays(problem)
    tag = (seed, time.time())
    interval_s = exchange_interval(search_s)
    worker: _Worker | None
    try:
        worker = _get_worker()
        worker.submit(_pyvrp_until, problem, time.time() + search_s - (time.perf_counter() - t0), seed, tag, interval_s)
    except Exception as exc:  # cannot start a process (e.g. unguarded __main__): this core only
        shutdown()
        worker, meta["pyvrp_error"] = None, repr(exc)

    candidates: list[tuple[RoutingSolution, CheckReport, str]] = []
    timeline = meta.setdefault("timeline", {})

    def mark(step: str) -> None:
        timeline[step] = round(time.perf_counter() - t0, 3)

    def stopping() -> bool:
        return should_stop is not None and should_stop()

    def consider(sol: RoutingSolution, name: str, label: str,
                 rep: CheckReport | None = None) -> tuple[RoutingSolution, CheckReport]:
        if rep is None and label.startswith("pyvrp"):  # repaired first if it breaks windows PyVRP only saw relaxed
            sol, rep = _judged(problem, sol, label, meta)
        elif rep is None:
            rep = check_solution(problem, sol)
        meta["engines"][label] = _entry(sol, rep, t0)
        if _sound(rep):
            candidates.append((sol, rep, name))
        return sol, rep

    # This core: PyVRP with the worker's exchange, until the share of the search it gets.
    own_s = (RELAXED_PYVRP_SHARE if is_relaxed else 1.0) * search_s - (time.perf_counter() - t0)
    # Giving up waits one exchange past the share, so a feasible plan the worker posted is taken first.
    give_up_at = t0 + SAFETY_NET_SHARE * search_s + interval_s
    feasible = [False]

    def found(elapsed_s: float, cost: int) -> None:
        feasible[0] = True
        if progress is not None:
            progress(elapsed_s, cost)

    def own_stop() -> bool:
        return stopping() or (not feasible[0] and time.perf_counter() >= give_up_at)

    mail = worker.mailboxes(tag) if worker is not None else None
    # Before the polish, a quiet last interval: OR-Tools holds the GIL, so a post still being
    # written by this process's queue feeder would stall the worker reading it.
    # With a starting plan (a re-optimization), the worker searches from it and this process from
    # scratch: from a plan degraded by 20 hand moves with 28 stops locked, PyVRP alone ended at
    # 24,117 SEK, from scratch at 13,987 (Gothenburg 300-order day, 30 s).
    own = solve_pyvrp(problem, max(0.1, own_s), seed + 1, progress=found, should_stop=own_stop, mail=mail,
                      exchange_interval_s=interval_s, quiet_last_s=interval_s if is_relaxed else 0.0,
                      from_scratch=bool(problem.initial_routes), tune_history=True)
    judging_from = time.perf_counter()
    own, own_rep = consider(own, "pyvrp+ortools", "pyvrp")
    own_judge_s = time.perf_counter() - judging_from
    meta["exchange"] = {"pyvrp": own.meta.get("adopted", 0)}
    mark("pyvrp")

    # OR-Tools on this core for the rest: the polish of a relaxed search, or the safety net.
    rest_s = search_s - (time.perf_counter() - t0)
    if not _sound(own_rep) and rest_s >= MIN_POLISH_S and not stopping():
        net = solve_ortools(problem, rest_s, progress=progress, should_stop=should_stop)
        consider(net, "ortools", "ortools")
        meta["fallback_leg"] = "this core's PyVRP found no sound plan: OR-Tools from scratch"
        mark("ortools")
    elif is_relaxed and rest_s >= MIN_POLISH_S and not stopping():
        polished = solve_ortools(problem, rest_s, initial=own, should_stop=should_stop)
        if polished.meta.get("seeded"):
            pol_rep = check_solution(problem, polished)
            name = "pyvrp+ortools-polish" if _rank(pol_rep) < _rank(own_rep) else "pyvrp+ortools"
            consider(polished, name, "polish")
        mark("polish")

    # The worker's final plan.
    if worker is not None:
        try:
            if stopping():
                worker.request_stop()
            # the worker judges its plan as this process did its own: give it at least as long
            answer = worker.result(timeout_s=max(1.0, reserve, 2.0 * own_judge_s)
                                   + max(0.0, t0 + search_s - time.perf_counter()))
        except Exception as exc:
            shutdown()
            answer, meta["pyvrp_error"] = None, repr(exc)
        if answer is not None:
            theirs, their_rep, repaired = answer
            if repaired:
                meta.setdefault("repaired", {}).update(repaired)
            consider(theirs, "pyvrp+ortools", "pyvrp_worker", their_rep)
            meta["exchange"]["pyvrp_worker"] = theirs.meta.get("adopted", 0)
        mark("worker")

    _add_starting_plan(problem, candidates, meta, t0)

    # The OR-Tools model of record validates PyVRP's plans, best first, until one passes.
    candidates.sort(key=lambda c: _rank(c[1]))
    refused: list[list[list[int]]] = []
    while candidates and candidates[0][2] == "pyvrp+ortools" and candidates[0][0].engine == "pyvrp":
        plan = candidates[0][0]
        label = "pyvrp" if plan is own else "pyvrp_worker"
        if plan.routes in refused:  # both searches ended on the same plan: validated once
            meta["engines"][label]["ortools_objective"] = None
            candidates.pop(0)
            continue
        accepted = _accepted(problem, plan.routes, candidates[0][1], meta)
        meta["engines"][label]["ortools_objective"] = accepted
        if accepted is not None:
            break
        refused.append(plan.routes)
        candidates.pop(0)
    mark("validated")

    if not candidates:  # no sound plan left: OR-Tools gets what remains, at least the reserve
        return ortools_only("no PyVRP plan the OR-Tools model accepts", at_least_s=reserve)
    best, best_rep, best_engine = candidates[0]
    result = _finish(best, best_rep, best_engine, t0, meta)
    if progress is not None:
        progress(result.wall_s, result.objective)
    return result
