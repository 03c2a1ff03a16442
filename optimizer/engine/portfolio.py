"""The engine portfolio: race PyVRP against OR-Tools on two cores, keep the best sound plan.

``solve(problem, T, engine="auto")``:

1. *Race* (about 85 % of ``T``): PyVRP runs in a worker process while OR-Tools runs here.
   The worker is a persistent spawn-context process, so only the first call pays its start-up
   (call :func:`warm_up` early to pay it before the first solve). Scripts that call ``solve``
   must guard their entry point with ``if __name__ == "__main__":`` (spawn re-imports it).
2. *Judge*: both plans are re-walked by :mod:`optimizer.checker` and priced with one cost
   definition (distance * cost_per_m + span * cost_per_s + fixed costs + penalties of dropped
   optional stops). A plan with window, shift, capacity, lock or duplicate violations is
   discarded; among the rest, fewer dropped required stops wins, then the lower price.
   A PyVRP plan must also be accepted by the OR-Tools model of record
   (:func:`~optimizer.engine.ortools_solver.read_in_ortools`).
3. *Polish*: with the time left, OR-Tools is seeded with the winning PyVRP plan; the result is
   kept only if the checker prices it lower.

If PyVRP cannot express the problem (locks) or its worker fails, OR-Tools gets the whole
budget. ``solution.engine`` names the source of the kept plan (``"ortools"``,
``"pyvrp+ortools"`` = found by PyVRP and accepted by OR-Tools, ``"pyvrp+ortools-polish"`` =
improved by OR-Tools from PyVRP's plan); ``solution.meta`` holds each engine's price, wall time
and the checker's figures.
"""

from __future__ import annotations

import atexit
import multiprocessing
import time
from collections.abc import Callable

from optimizer.checker import CheckReport, check_solution
from optimizer.engine.ortools_solver import read_in_ortools, solve_ortools
from optimizer.engine.pyvrp_solver import NotSupported, build_data, solve_pyvrp
from optimizer.problem import RoutingProblem, RoutingSolution

ENGINES = ("auto", "ortools", "pyvrp")
RACE_SHARE = 0.85  # share of the budget for the parallel race; the rest judges and polishes
MIN_POLISH_S = 0.3  # below this much time left, skip the OR-Tools polish

class _Worker:
    """A persistent spawn-context child process that runs top-level functions on request.

    Requests go over a pipe synchronously, so the job reaches the child even while this process
    then holds the GIL inside OR-Tools (an executor's feeder thread would be starved).
    """

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True, name="lastmile-pyvrp")
        self.process.start()
        child.close()

    def submit(self, fn: Callable, *args) -> None:
        self.conn.send((fn, args))

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


def _serve(conn) -> None:
    """Child main loop: run (fn, args) requests until told to stop (None) or the pipe closes."""
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        fn, args = request
        try:
            conn.send(("ok", fn(*args)))
        except Exception as exc:  # report, keep serving
            conn.send(("error", repr(exc)))


_worker: _Worker | None = None


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


def _pyvrp_until(problem: RoutingProblem, deadline: float, seed: int) -> RoutingSolution:
    """Worker entry point: run PyVRP until the wall-clock ``deadline`` (epoch seconds)."""
    return solve_pyvrp(problem, max(0.05, deadline - time.time()), seed)


def _rank(report: CheckReport) -> tuple[int, int]:
    return len(report.dropped_required), report.objective


def _sound(report: CheckReport) -> bool:
    """No violations other than required stops left out."""
    return report.kinds() <= {"unserved"}


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


def _entry(solution: RoutingSolution, report: CheckReport) -> dict:
    return {
        "objective": report.objective,
        "engine_objective": solution.objective,
        "wall_s": round(solution.wall_s, 3),
        "sound": _sound(report),
        "dropped_required": len(report.dropped_required),
    }


def solve(
    problem: RoutingProblem,
    time_limit_s: float,
    engine: str = "auto",
    seed: int = 0,
    progress: Callable[[float, int], None] | None = None,
) -> RoutingSolution:
    """Solve ``problem`` within about ``time_limit_s`` wall-clock seconds.

    ``engine``: ``"auto"`` (race, see module docstring), ``"ortools"`` or ``"pyvrp"`` (falls
    back to OR-Tools if PyVRP cannot express the problem). ``progress(elapsed_s, objective)``
    receives OR-Tools' improvements during the race and the final price at the end.
    ``objective`` of the result is always the checker's price.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
    t0 = time.perf_counter()
    meta: dict = {"engines": {}}

    def ortools_only(reason: str | None) -> RoutingSolution:
        if reason:
            meta["fallback"] = reason
        remaining = max(0.1, time_limit_s - (time.perf_counter() - t0))
        sol = solve_ortools(problem, remaining, progress=progress)
        rep = check_solution(problem, sol)
        meta["engines"]["ortools"] = _entry(sol, rep)
        return _finish(sol, rep, "ortools", t0, meta)

    if engine == "ortools":
        return ortools_only(None)
    try:
        build_data(problem)
    except NotSupported as exc:
        return ortools_only(f"pyvrp not applicable: {exc}")

    if engine == "pyvrp":
        sol = solve_pyvrp(problem, time_limit_s, seed)
        rep = check_solution(problem, sol)
        meta["engines"]["pyvrp"] = _entry(sol, rep)
        if not _sound(rep):
            return ortools_only("pyvrp found no sound plan")
        return _finish(sol, rep, "pyvrp", t0, meta)

    # -- auto: race ---------------------------------------------------------------------------
    race_s = RACE_SHARE * time_limit_s
    worker: _Worker | None
    try:
        worker = _get_worker()
        worker.submit(_pyvrp_until, problem, time.time() + race_s, seed)
    except Exception as exc:  # cannot start a process (e.g. unguarded __main__): OR-Tools alone
        shutdown()
        worker, meta["pyvrp_error"] = None, repr(exc)
    ort = solve_ortools(problem, race_s, progress=progress)
    ort_rep = check_solution(problem, ort)
    meta["engines"]["ortools"] = _entry(ort, ort_rep)
    candidates: list[tuple[RoutingSolution, CheckReport, str]] = []
    if _sound(ort_rep):
        candidates.append((ort, ort_rep, "ortools"))

    pv: RoutingSolution | None = None
    if worker is not None:
        try:
            pv = worker.result(timeout_s=max(5.0, 0.5 * time_limit_s))
        except Exception as exc:
            shutdown()
            meta["pyvrp_error"] = repr(exc)
    if pv is not None:
        pv_rep = check_solution(problem, pv)
        meta["engines"]["pyvrp"] = _entry(pv, pv_rep)
        if _sound(pv_rep):
            accepted = read_in_ortools(problem, pv.routes)
            meta["engines"]["pyvrp"]["ortools_objective"] = accepted
            if accepted is not None:
                candidates.append((pv, pv_rep, "pyvrp+ortools"))

    if not candidates:  # nothing sound (should not happen: OR-Tools can always drop stops)
        meta["fallback"] = "no sound plan from any engine"
        return _finish(ort, ort_rep, "ortools", t0, meta)
    best, best_rep, best_engine = min(candidates, key=lambda c: _rank(c[1]))

    # -- polish: OR-Tools from PyVRP's plan ---------------------------------------------------
    remaining = time_limit_s - (time.perf_counter() - t0)
    if best_engine == "pyvrp+ortools" and remaining >= MIN_POLISH_S:
        polished = solve_ortools(problem, remaining, initial=best)
        pol_rep = check_solution(problem, polished)
        meta["engines"]["polish"] = _entry(polished, pol_rep) | {"seeded": polished.meta.get("seeded")}
        if _sound(pol_rep) and _rank(pol_rep) < _rank(best_rep):
            best, best_rep, best_engine = polished, pol_rep, "pyvrp+ortools-polish"

    result = _finish(best, best_rep, best_engine, t0, meta)
    if progress is not None:
        progress(result.wall_s, result.objective)
    return result
