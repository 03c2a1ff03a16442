"""PyVRP searches on several cores that hand each other their best solution.

One PyVRP search per core, each with its own seed. Every ``interval_s`` seconds a search posts
its best solution, if it improved since its last post, to the others' inboxes, and reads its
own: when another search holds a better solution, it ends its current iterated local search
and starts a new one from that solution (its penalty manager, its local search and its random
stream carry on, so the restart perturbs the received solution its own way). A search that is
ahead is never interrupted. So two cores buy one search that spreads over both, instead of
two that never meet (the best of two seeds); which is better depends on how far the search is
from converged, and :mod:`optimizer.bench` measures it.

The hand-over uses only PyVRP's public parts (``IteratedLocalSearch``, ``LocalSearch``,
``PenaltyManager``): the search loop itself stays PyVRP's.

Each search builds its own ``ProblemData`` in its process from ``load(*args)`` (a top-level
function, as the spawn start method needs), so nothing large crosses the pipes but solutions
(a few kB: the routes' visits, rebuilt on arrival; see :func:`rebuild`).
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyvrp
from pyvrp.search import LocalSearch, PerturbationManager, compute_neighbours

from optimizer.engine.tuning import PROBE_SHARE, history_length, trades_plans

DEFAULT_INTERVAL_S = 5.0


@dataclass
class SearchResult:
    """One search's end: its best solution, PyVRP's cost of it (``inf`` if infeasible), the
    iterations it made, how many solutions it took from the others, its seed, and the
    late-acceptance history length it searched with after its probe (see ``tune_history``)."""

    best: pyvrp.Solution
    cost: float
    iterations: int
    adopted: int
    seed: int
    history_length: int | None = None


Recipe = list[tuple[int, list[tuple[int, int]]]]  # per route: vehicle type, (activity type, index) of each visit


def recipe(solution: pyvrp.Solution) -> Recipe:
    """What a solution visits, route by route (reload depots included, the start and end depots
    left out), to be rebuilt against the receiver's own ``ProblemData``."""
    return [(route.vehicle_type(), [(int(a.type), a.idx) for a in list(route)[1:-1]]) for route in solution.routes()]


def rebuild(data: pyvrp.ProblemData, routes: Recipe) -> pyvrp.Solution:
    """The solution of :func:`recipe`, evaluated afresh on ``data``. A pickled
    ``pyvrp.Solution`` is not good enough: PyVRP 0.14.1's ``CostEvaluator.cost`` of an unpickled
    solution leaves out the vehicles' fixed costs (on the Gothenburg 1000-order day 26.6e9 against
    40.4e9 for the same routes), so the receiving search takes it for a plan it can never beat."""
    return pyvrp.Solution(data, [
        pyvrp.Route(data, [pyvrp.Activity(pyvrp.ActivityType(kind), idx) for kind, idx in visits], vehicle_type)
        for vehicle_type, visits in routes
    ])


class Mailboxes:
    """This search's inbox and the others' (``multiprocessing`` queues); posts are (tag, cost,
    :func:`recipe`). ``tag`` names the solve: queues that outlive one solve (the portfolio's
    persistent worker) carry a late post of an earlier solve, which is read and ignored."""

    def __init__(self, inbox, outboxes: Sequence, tag: object = None) -> None:
        self.inbox, self.outboxes, self.tag = inbox, list(outboxes), tag

    def post(self, cost: float, solution: pyvrp.Solution) -> None:
        payload = (self.tag, cost, recipe(solution))
        for box in self.outboxes:
            box.put(payload)

    def best_offer(self) -> tuple[float, Recipe] | None:
        """The cheapest post of this solve waiting in the inbox (all of them read), or None."""
        best = None
        while True:
            try:
                tag, cost, payload = self.inbox.get_nowait()
            except queue.Empty:
                return best
            if tag == self.tag and (best is None or cost < best[0]):
                best = (cost, payload)


class _Watch(pyvrp.IteratedLocalSearchCallbacks):
    """Keeps the search's current best (the stopping criterion only sees its cost) and passes
    ``on_best`` and ``on_iteration`` on to the caller's callbacks (``inner``)."""

    def __init__(self, inner: pyvrp.IteratedLocalSearchCallbacks | None = None) -> None:
        self.best: pyvrp.Solution | None = None
        self.inner = inner if inner is not None else pyvrp.IteratedLocalSearchCallbacks()

    def on_best(self, best: pyvrp.Solution) -> None:
        self.best = best
        self.inner.on_best(best)

    def on_iteration(self, current, candidate, best, cost_evaluator) -> None:
        self.inner.on_iteration(current, candidate, best, cost_evaluator)


class _Epochs:
    """Stopping criterion: the deadline, ``should_stop``, and, every ``interval_s``, the
    exchange; returns True to end the current run when a better solution has arrived
    (``taken`` holds it). Only feasible solutions are posted, and none after ``post_until``."""

    def __init__(self, data: pyvrp.ProblemData, deadline: float, interval_s: float, mail: Mailboxes | None,
                 watch: _Watch, should_stop: Callable[[], bool] | None, post_until: float) -> None:
        self.data, self.deadline, self.interval_s, self.mail, self.watch = data, deadline, interval_s, mail, watch
        self.should_stop, self.post_until = should_stop, post_until
        self.next_exchange = time.perf_counter() + interval_s
        self.posted = float("inf")
        self.taken: pyvrp.Solution | None = None
        self.finished = False
        self.calls = 0  # one per iteration of the runs so far
        # The probe's end (see search): ``on_probe(iterations)`` says whether the run must end
        # there (the search goes on with other parameters, ``restart`` set) or carry on.
        self.probe_at, self.on_probe = float("inf"), None
        self.restart = False

    def __call__(self, best_cost: float) -> bool:
        now = time.perf_counter()
        self.calls += 1
        if now >= self.deadline or (self.should_stop is not None and self.should_stop()):
            self.finished = True
            return True
        if now >= self.probe_at:
            self.probe_at = float("inf")
            if self.on_probe(self.calls - 1):
                self.restart = True
                return True
        if self.mail is None or now < self.next_exchange:
            return False
        self.next_exchange = now + self.interval_s
        best = self.watch.best
        if best_cost < self.posted and best is not None and best.is_feasible() and now < self.post_until:
            self.mail.post(best_cost, best)
            self.posted = best_cost
        offer = self.mail.best_offer()
        if offer is not None and offer[0] < best_cost:
            self.taken = rebuild(self.data, offer[1])
            return True
        return False


def search(
    data: pyvrp.ProblemData,
    deadline: float,
    seed: int,
    params: pyvrp.SolveParams | None = None,
    *,
    initial: pyvrp.Solution | None = None,
    mail: Mailboxes | None = None,
    interval_s: float = DEFAULT_INTERVAL_S,
    should_stop: Callable[[], bool] | None = None,
    post_until: float | None = None,
    tune_history: bool = False,
) -> SearchResult:
    """PyVRP's iterated local search until ``deadline`` (a ``time.perf_counter()`` value),
    restarted from the others' better solutions as the module docstring says. Without ``mail``
    it is one plain PyVRP search (as ``pyvrp.solve`` builds it). ``params.ils.callbacks`` get
    ``on_best`` (for the starting solution too, and for a received one it restarts from) and
    ``on_iteration``. ``post_until`` (a ``time.perf_counter()`` value, default the deadline):
    no posts after it, for a process that then holds the GIL in a long call (OR-Tools), which
    would keep its queue's feeder thread from finishing a post the others are reading.
    ``tune_history``: the first :data:`~optimizer.engine.tuning.PROBE_SHARE` of the time left
    after the starting solution is a probe with ``params``' history length that measures the
    iteration rate; the rest of the search uses
    :func:`~optimizer.engine.tuning.history_length` of it (restarting from the probe's best
    only if that differs), and trades plans with the others only while
    :func:`~optimizer.engine.tuning.trades_plans` says so."""
    params = params if params is not None else pyvrp.SolveParams()
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    ls = LocalSearch(data, rng, compute_neighbours(data, params.neighbourhood), PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = pyvrp.PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    current = initial
    if current is None:
        current = ls(pyvrp.Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    watch = _Watch(params.ils.callbacks)
    watch.inner.on_best(current)  # the first best: a search that never improves on it still reports it

    def ils_params(history: int) -> pyvrp.IteratedLocalSearchParams:
        return pyvrp.IteratedLocalSearchParams(
            num_iters_no_improvement=params.ils.num_iters_no_improvement,
            history_length=history,
            exhaustive_on_best=params.ils.exhaustive_on_best,
            callbacks=watch,
        )

    stop = _Epochs(data, deadline, interval_s, mail, watch, should_stop, deadline if post_until is None else post_until)
    history = params.ils.history_length
    tuned: int | None = None  # the memory the probe chose
    probe_from = time.perf_counter()

    def probed(iterations_so_far: int) -> bool:
        """At the probe's end: the tuned memory and whether to go on trading; True if the run
        must restart for a new memory (with PyVRP's own it carries on undisturbed, so a search
        near convergence is the very search PyVRP's seed makes)."""
        nonlocal tuned
        now = time.perf_counter()
        rate = iterations_so_far / max(1e-9, now - probe_from)
        tuned = history_length(rate, deadline - now, data.num_clients)
        if not trades_plans(rate, deadline - now, data.num_clients):
            stop.mail = None  # near convergence two independent seeds beat two that trade
        return tuned != history

    if tune_history:
        stop.probe_at = probe_from + PROBE_SHARE * max(0.0, deadline - probe_from)
        stop.on_probe = probed
    best, best_cost, iterations, adopted = current, float("inf"), 0, 0
    while True:
        watch.best = current
        result = pyvrp.IteratedLocalSearch(data, pm, ls, current, ils_params(history)).run(stop, collect_stats=False)
        iterations += result.num_iterations
        cost = result.cost()
        if cost < best_cost or best_cost == float("inf"):
            best, best_cost = result.best, cost
        if stop.finished:
            break
        if stop.restart:  # the probe is over: on from the best so far with the tuned memory
            stop.restart, history = False, tuned
            current = best
            continue
        if stop.taken is None:
            break
        current, stop.taken = stop.taken, None
        adopted += 1
        watch.inner.on_best(current)  # cheaper than this search's best, or it would not be taken
    return SearchResult(best, best_cost, iterations, adopted, seed, tuned)


def _run(load: Callable, args: tuple, ends_at: float, seed: int, params_of: Callable | None,
         inbox, outboxes, interval_s: float, results) -> None:
    """One search in a worker process until ``ends_at`` (a ``time.time()`` value: the one clock
    both processes read alike); its result goes to ``results`` as (seed, pickled result)."""
    deadline = time.perf_counter() + (ends_at - time.time())
    for box in outboxes:
        box.cancel_join_thread()  # a post the others never read must not hold this process at exit
    try:
        data = load(*args)
        params = params_of(data) if params_of is not None else None
        mail = Mailboxes(inbox, outboxes) if outboxes else None
        found = search(data, deadline, seed, params, mail=mail, interval_s=interval_s)
    except Exception as exc:  # tell the parent now, not at its timeout
        results.put((seed, None, repr(exc)))
        return
    results.put((seed, pickle.dumps(found), None))


def search_on_cores(
    load: Callable,
    args: tuple,
    time_limit_s: float,
    seeds: Sequence[int],
    *,
    exchange: bool = True,
    interval_s: float = DEFAULT_INTERVAL_S,
    params_of: Callable | None = None,
) -> list[SearchResult]:
    """Run one search per seed, each in its own spawn-context process, until ``time_limit_s``
    seconds after this call (starting the processes and loading the data are inside the
    budget). ``exchange=False`` runs them side by side without a word between them (best of
    several seeds). ``params_of(data)`` gives a search its ``SolveParams`` (PyVRP's defaults
    without). Results in the order of ``seeds``."""
    ends_at = time.time() + time_limit_s
    ctx = multiprocessing.get_context("spawn")
    inboxes = [ctx.Queue() for _ in seeds]
    results = ctx.Queue()
    workers = []
    for k, seed in enumerate(seeds):
        outboxes = [box for j, box in enumerate(inboxes) if j != k] if exchange else []
        worker = ctx.Process(
            target=_run, daemon=True, name=f"lastmile-pyvrp-{seed}",
            args=(load, args, ends_at, seed, params_of, inboxes[k], outboxes, interval_s, results),
        )
        worker.start()
        workers.append(worker)
    found: dict[int, SearchResult] = {}
    try:
        while len(found) < len(seeds):
            try:
                seed, payload, error = results.get(timeout=time_limit_s + 60.0)
            except queue.Empty as exc:
                raise RuntimeError(f"a PyVRP search gave no result within {time_limit_s + 60.0:.0f} s") from exc
            if error is not None:
                raise RuntimeError(f"the PyVRP search with seed {seed} failed: {error}")
            found[seed] = pickle.loads(payload)
    finally:
        for worker in workers:
            worker.join(timeout=5.0)
            if worker.is_alive():
                worker.terminate()
    return [found[seed] for seed in seeds]
