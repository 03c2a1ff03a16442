"""How lastmile's PyVRP searches search, from the iterations their budget buys: how long a
memory the late-acceptance search gets, and whether two searches trade plans.

PyVRP's iterated local search accepts a candidate that beats the solution of
``history_length`` iterations ago (late-acceptance hill climbing). Its default, 300, suits a
search with many iterations per client; when the time limit buys only a few, a long memory
keeps the search wandering and it ends well short of where a shorter one gets. Measured with
one PyVRP search per core on this project's 2-core machine (2026-12-04, ``benchmarks/`` runs,
costs in the instance's units):

==========================  =================  ==========  ==========  =========
instance, limit             iterations/client  L = 300     L = 100     change
==========================  =================  ==========  ==========  =========
RAND1000-1, 60 s            19                 46,575      45,828      -1.6 %
RAND1000-1, 30 s            8                  47,291      46,072      -2.6 %
Gothenburg 1000 orders, 30s 2.6                39.97e9     39.60e9     -0.9 %
Solomon RC101, 10 s         110                16,355      16,368      +0.1 %
Solomon RC201, 10 s         120                12,624      12,649      +0.2 %
==========================  =================  ==========  ==========  =========

(means of 2-3 seeds). So the memory follows the budget: :func:`history_length` is five
iterations per client, between :data:`SHORTEST` and PyVRP's own 300, and a search with plenty
of iterations keeps PyVRP's default untouched. The iteration rate is machine-dependent, so it is
measured in a short probe at the start of each search (:data:`PROBE_SHARE` of its budget, run
with PyVRP's default), not assumed.

The same measure decides whether the searches on two cores trade plans
(:func:`trades_plans`). Trading buys depth: the search behind restarts from the one ahead, and
on a search far from converged that is worth more than a second opinion (RAND1000-1 at 60 s,
the Gothenburg 1000-order day at 30 s). Near convergence it costs diversity: on Solomon R208
at 10 s (about 130 iterations per client) two trading searches ended at 713.8 where the two
seeds alone ended at 710.4 and 702.1, because both were drawn into one basin. So from
:data:`INDEPENDENT_FROM` iterations per client the searches stop trading and run as two
independent seeds, of which the cheaper is kept.
"""

from __future__ import annotations

LONGEST = 300  # PyVRP 0.14's default history length
SHORTEST = 100  # below this the search lost again (L = 50 on RAND1000-1 at 60 s: +0.3 % against 100)
PER_CLIENT = 5.0  # history length per expected iteration per client
PROBE_SHARE = 0.05  # share of a search's budget spent measuring its iteration rate
INDEPENDENT_FROM = 60.0  # iterations per client from which two searches no longer trade plans


def iterations_per_client(iterations_per_s: float, remaining_s: float, num_clients: int) -> float:
    """The iterations per client a search can expect in ``remaining_s`` seconds (0 when unknown)."""
    if num_clients <= 0 or iterations_per_s <= 0 or remaining_s <= 0:
        return 0.0
    return iterations_per_s * remaining_s / num_clients


def trades_plans(iterations_per_s: float, remaining_s: float, num_clients: int) -> bool:
    """Whether searches on several cores should go on trading plans (see the module docstring):
    below :data:`INDEPENDENT_FROM` expected iterations per client, or when the rate is unknown."""
    return iterations_per_client(iterations_per_s, remaining_s, num_clients) < INDEPENDENT_FROM


def history_length(iterations_per_s: float, remaining_s: float, num_clients: int) -> int:
    """The late-acceptance history for a search that makes ``iterations_per_s`` iterations a
    second, with ``remaining_s`` seconds left, over ``num_clients`` clients: ``PER_CLIENT``
    times the iterations per client it can expect, clamped to [``SHORTEST``, ``LONGEST``]."""
    per_client = iterations_per_client(iterations_per_s, remaining_s, num_clients)
    if per_client == 0.0:
        return LONGEST
    return int(min(LONGEST, max(SHORTEST, round(PER_CLIENT * per_client))))
