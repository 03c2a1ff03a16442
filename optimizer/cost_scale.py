"""Integer cost units for the engines: one scale per problem, chosen from its prices.

OR-Tools and PyVRP price in integers. A :class:`CostScale` of ``S`` units per currency turns a
price ``p`` (currency per metre, per second, per vehicle-day or per dropped stop) into the
integer ``round(p * S)``; an engine objective ``x`` is ``x / S`` in currency.

The rule (:func:`choose_cost_scale`): ``S`` is the smallest power of ten, at least 1, at which
every non-zero price becomes at least ``10 ** (MIN_SIGNIFICANT_DIGITS - 1)`` units. That is 4
significant digits, more than the 3 the issue asks for: each price is then rounded by at most
0.05 %, so the engine's price of a plan and the same plan priced in currency (the scorecard)
agree within 0.05 % whatever the prices. Examples: 4 SEK/km and 320 SEK/h give
``S = 10**6`` (4000 units per metre, 88 889 per second); 0.35 EUR/km gives ``S = 10**7``.

The scale must also leave room: the dearest plan the problem admits (every vehicle used all
its shift, every stop reached over the longest arc, every stop dropped), times ``S``, must stay
within :data:`MAX_PLAN_UNITS`. Prices that cannot have both (a price of a millionth next to a
penalty of billions) raise :class:`CostScaleError` naming the two prices.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from optimizer.domain import Vehicle

MIN_SIGNIFICANT_DIGITS = 4

# Largest cost of any plan, in units: exact in float64 (objectives are divided as floats) and
# 2**10 below OR-Tools' int64 and PyVRP's int64 costs, room for the engines' own penalty terms
# (OR-Tools' required-stop penalty, PyVRP's penalised costs of infeasible candidates).
MAX_PLAN_UNITS = 2**53

# The fixed scale lastmile used before scales were chosen per problem (milli-currency). PyVRP's
# search parameters are absolute numbers; the PyVRP mapping multiplies them by
# ``units_per_currency / REFERENCE_UNITS_PER_CURRENCY`` so a finer scale searches the same way.
REFERENCE_UNITS_PER_CURRENCY = 1000


class CostScaleError(ValueError):
    """Prices that no integer scale can represent both precisely and safely."""


@dataclass(frozen=True)
class CostScale:
    """``units_per_currency`` integer cost units make one unit of the scenario's currency."""

    units_per_currency: int

    def __post_init__(self) -> None:
        if self.units_per_currency < 1:
            raise ValueError(f"units_per_currency must be a positive integer, got {self.units_per_currency}")

    def units(self, amount: float) -> int:
        """``amount`` (currency, or currency per metre / second) as integer cost units."""
        return int(round(amount * self.units_per_currency))

    def currency(self, units: float) -> float:
        """Cost units back to currency."""
        return units / self.units_per_currency


def choose_cost_scale(prices: Mapping[str, float], *, plan_bound: float = 0.0) -> CostScale:
    """The scale for ``prices`` (name -> currency per metre, per second, per vehicle or per stop).

    ``plan_bound`` is the largest cost in currency any plan can have (0 when not known yet).
    Zero prices need no digits. Raises :class:`CostScaleError` for a negative or non-finite
    price, and when the scale the cheapest price needs would let ``plan_bound`` exceed
    :data:`MAX_PLAN_UNITS`; the message names the field and what to change.
    """
    for name, value in prices.items():
        if not math.isfinite(value) or value < 0:
            raise CostScaleError(f"{name}: {value!r} is not a price; give a finite number >= 0")
    if not math.isfinite(plan_bound) or plan_bound < 0:
        raise CostScaleError(f"plan bound {plan_bound!r} must be a finite number >= 0")
    positive = {name: value for name, value in prices.items() if value > 0}
    if not positive:
        return CostScale(1)
    cheapest = min(positive, key=positive.__getitem__)
    wanted = 10 ** (MIN_SIGNIFICANT_DIGITS - 1) / positive[cheapest]
    exponent = max(0, math.ceil(math.log10(wanted) - 1e-9))
    scale = CostScale(10**exponent)
    if scale.units(positive[cheapest]) < 10 ** (MIN_SIGNIFICANT_DIGITS - 1):  # log10 rounded down
        scale = CostScale(10 ** (exponent + 1))
    if plan_bound * scale.units_per_currency > MAX_PLAN_UNITS:
        dearest = max(positive, key=positive.__getitem__)
        raise CostScaleError(
            f"prices span too many orders of magnitude for integer engines: {cheapest} = {positive[cheapest]:.3g} "
            f"needs {scale.units_per_currency:.0e} units per currency to keep {MIN_SIGNIFICANT_DIGITS} digits, "
            f"and then a plan could cost {plan_bound * scale.units_per_currency:.3g} units, above the safe "
            f"{MAX_PLAN_UNITS:.3g}; raise {cheapest} or lower {dearest} = {positive[dearest]:.3g}"
        )
    return scale


def fleet_prices(vehicles: Iterable[Vehicle]) -> dict[str, float]:
    """The fleet's prices as the engines charge them: per metre, per second, per vehicle-day.

    Names say the vehicle and the scenario field (``cost_per_km``, ``cost_per_hour``,
    ``fixed_cost``), so an error points at what to change.
    """
    out: dict[str, float] = {}
    for v in vehicles:
        out[f"vehicle {v.id} cost_per_km (per metre)"] = v.cost_per_km / 1000
        out[f"vehicle {v.id} cost_per_hour (per second)"] = v.cost_per_hour / 3600
        out[f"vehicle {v.id} fixed_cost"] = v.fixed_cost
        if v.overtime_cost_per_hour:
            out[f"vehicle {v.id} overtime_cost_per_hour (per second)"] = v.overtime_cost_per_hour / 3600
    return out


def fleet_plan_bound(vehicles: Iterable[Vehicle], *, arcs: int = 0, longest_arc_m: float = 0.0) -> float:
    """Largest cost in currency of the fleet's routes: every vehicle used for its whole shift,
    ``arcs`` arcs of ``longest_arc_m`` metres each at the dearest rate per km."""
    vehicles = list(vehicles)
    bound = sum(v.fixed_cost + (v.cost_per_hour + v.overtime_cost_per_hour) * max(0, v.shift.end - v.shift.start) / 3600
                for v in vehicles)
    dearest_km = max((v.cost_per_km for v in vehicles), default=0.0)
    return bound + arcs * longest_arc_m / 1000 * dearest_km
