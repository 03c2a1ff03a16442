"""The late-acceptance memory of lastmile's PyVRP searches follows the iterations the budget buys:
short where a 1000-client search gets a few dozen iterations per client, PyVRP's own 300 where
a Solomon-sized search gets hundreds."""

from __future__ import annotations

import time
from pathlib import Path

import pyvrp
import pytest

from optimizer.engine.exchange import search
from optimizer.engine.tuning import LONGEST, SHORTEST, history_length

R101 = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "solomon" / "R101.vrp"


def test_a_search_with_many_iterations_per_client_keeps_pyvrps_default():
    # Solomon, 10 s: about 1,100 iterations a second over 100 clients
    assert history_length(1100.0, 9.5, 100) == LONGEST == 300


def test_a_large_instance_on_a_short_budget_gets_the_shortest_memory():
    # RAND1000 at 60 s on this machine: about 320 iterations a second, 19 per client
    assert history_length(320.0, 57.0, 1000) == SHORTEST == 100
    # the Gothenburg 1000-order day at 30 s: under 3 iterations per client
    assert history_length(90.0, 28.0, 1000) == SHORTEST


def test_in_between_it_is_five_iterations_per_expected_iteration_per_client():
    assert history_length(400.0, 50.0, 1000) == 100  # 20 per client
    assert history_length(800.0, 50.0, 1000) == 200  # 40 per client
    assert history_length(1000.0, 60.0, 1000) == 300  # 60 per client: capped


def test_it_never_gets_longer_as_the_budget_shrinks():
    lengths = [history_length(500.0, s, 1000) for s in (200, 120, 90, 60, 40, 20, 5)]
    assert lengths == sorted(lengths, reverse=True)


@pytest.mark.parametrize("rate, left, clients", [(0.0, 10.0, 100), (100.0, 0.0, 100), (100.0, 10.0, 0)])
def test_without_a_measured_rate_or_time_or_clients_it_is_pyvrps_default(rate, left, clients):
    assert history_length(rate, left, clients) == LONGEST


def test_a_tuned_search_probes_then_reports_the_memory_it_searched_with():
    data = pyvrp.read(str(R101), round_func="dimacs")
    found = search(data, time.perf_counter() + 1.0, seed=1, tune_history=True)
    assert found.best.is_feasible()
    assert SHORTEST <= found.history_length <= LONGEST
    assert found.iterations > 0


def test_an_untuned_search_reports_no_memory_of_its_own():
    data = pyvrp.read(str(R101), round_func="dimacs")
    assert search(data, time.perf_counter() + 0.3, seed=1).history_length is None


def test_the_judging_reserve_of_a_day_with_breaks_follows_the_machines_pace(monkeypatch):
    from types import SimpleNamespace

    from optimizer.engine import portfolio

    def reserve(pace: float, breaks: list) -> float:  # a 1000-node day, 30 s
        monkeypatch.setattr(portfolio, "machine_pace", lambda: pace)
        monkeypatch.setattr(portfolio, "relaxed", lambda problem: bool(breaks))
        day = SimpleNamespace(n=1000, has_breaks=lambda: bool(breaks))
        return portfolio._judge_reserve(day, 30.0)

    assert reserve(2.0, ["lunch"]) > reserve(1.0, ["lunch"]) > reserve(0.5, ["lunch"])
    assert reserve(2.0, []) == reserve(0.5, [])  # without breaks the re-walk is quick: no scaling


def test_searches_near_convergence_run_as_independent_seeds():
    from optimizer.engine.tuning import INDEPENDENT_FROM, trades_plans

    assert INDEPENDENT_FROM == 60.0
    assert trades_plans(320.0, 57.0, 1000)  # RAND1000 at 60 s: 18 iterations per client
    assert not trades_plans(1300.0, 9.5, 100)  # Solomon at 10 s: 124 per client
    assert trades_plans(0.0, 9.5, 100)  # rate unknown: trade, as an untuned search does


def _tuned_search_with_a_better_plan_waiting(monkeypatch, trading: bool):
    """A 1 s tuned search from a random start whose inbox holds a better plan, with the probe's
    verdict on trading forced to ``trading``: (the plan waiting, the search's result, its mail)."""
    import queue

    from optimizer.engine import exchange
    from optimizer.engine.exchange import Mailboxes, recipe

    data = pyvrp.read(str(R101), round_func="dimacs")
    good = search(data, time.perf_counter() + 1.5, seed=7).best
    mail = Mailboxes(queue.Queue(), [queue.Queue()])
    mail.inbox.put((None, 0, recipe(good)))  # posted as cheaper than anything, so a search that reads it takes it
    monkeypatch.setattr(exchange, "trades_plans", lambda *args: trading)
    start = pyvrp.Solution.make_random(data, pyvrp.RandomNumberGenerator(seed=3))
    found = search(data, time.perf_counter() + 1.0, seed=1, initial=start, mail=mail, interval_s=0.2, tune_history=True)
    return good, found, mail


def test_a_tuned_search_that_still_trades_takes_the_better_plan_waiting(monkeypatch):
    good, found, _ = _tuned_search_with_a_better_plan_waiting(monkeypatch, trading=True)
    assert found.adopted == 1
    assert found.cost <= good.distance()


def test_a_tuned_search_near_convergence_ignores_the_others_plans(monkeypatch):
    _, found, mail = _tuned_search_with_a_better_plan_waiting(monkeypatch, trading=False)
    assert found.adopted == 0
    assert mail.inbox.qsize() == 1  # never read
    assert mail.outboxes[0].empty()  # never posted
