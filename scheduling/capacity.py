"""From a demand forecast to slot capacities and the day's representative demand (pure maths).

Two numbers come from the same forecast quantile ``q`` (for example 0.8: demand is at or
below it four days in five):

* **slot capacity** - seats to open per zone and slot: the ``q`` quantile of that slot's
  demand, rounded up (:meth:`DemandForecast.slot_days`). Each slot is sized on its own, so the
  seats over a zone add up to a little more than the zone's ``q`` quantile: customers find room
  in their preferred slot on most days, whichever slot is busy.
* **representative day** - the orders the fleet is sized for: each zone's ``q`` quantile of the
  day, split over slots by the zone's slot shares with largest-remainder rounding, so the day
  holds exactly the rounded zone total. The routing engine then decides the vans and driver
  hours (:mod:`scenarios.capacity_plan`); no rule of thumb here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduling.forecast import DemandForecast
from scheduling.history import PICKUP_PREFIX


@dataclass(frozen=True)
class SlotCapacity:
    """Seats to open: orders ``zone`` takes in ``slot`` (``HH:MM-HH:MM``) on ``date``."""

    zone: str
    date: dt.date
    slot: str
    capacity: int
    expected: float  # forecast mean orders of the slot


def slot_capacities(forecast: DemandForecast, date: dt.date, quantile: float = 0.8) -> list[SlotCapacity]:
    """Home-delivery slot capacities for ``date`` from the slot demand's ``quantile``.

    Pickup-point windows are left out: pickup points have their own parcel capacity.
    """
    _check_quantile(quantile)
    table = forecast.slot_days(quantile)
    table = table[(table["date"] == date) & ~table["slot"].str.startswith(PICKUP_PREFIX)]
    if table.empty:
        raise ValueError(f"{date} is outside the forecast ({forecast.start} + {forecast.horizon} days)")
    return [
        SlotCapacity(r.zone, date, r.slot, int(math.ceil(r.quantile - 1e-9)), float(r.expected))
        for r in table.itertuples(index=False)
    ]


def largest_remainder(total: int, shares: pd.Series) -> pd.Series:
    """Split ``total`` whole orders in proportion to ``shares``, summing exactly to ``total``."""
    if total < 0:
        raise ValueError("total orders must be >= 0")
    shares = shares / shares.sum()
    raw = shares.to_numpy() * total
    whole = np.floor(raw).astype(int)
    rest = total - int(whole.sum())
    order = np.argsort(-(raw - whole), kind="stable")
    whole[order[:rest]] += 1
    return pd.Series(whole, index=shares.index)


def representative_demand(forecast: DemandForecast, date: dt.date, quantile: float = 0.8) -> pd.DataFrame:
    """Orders per zone and slot key for the day the fleet is sized for (columns zone, slot, orders)."""
    _check_quantile(quantile)
    rows = []
    for zone, zf in forecast.zones.items():
        total = int(round(forecast.zone_quantile(zone, date, quantile)))
        shares = zf.slot_shares["weekend" if date.weekday() >= 5 else "weekday"]
        for slot, n in largest_remainder(total, shares).items():
            if n > 0:
                rows.append({"zone": zone, "slot": slot, "orders": int(n)})
    return pd.DataFrame(rows, columns=["zone", "slot", "orders"])


def _check_quantile(q: float) -> None:
    if not 0 < q < 1:
        raise ValueError(f"quantile {q}: give a share between 0 and 1, for example 0.8")
