"""Two years of realistic order history for a scenario's zones, deterministic by seed.

Expected orders on a day in a zone are a product of factors (see :class:`DemandShape`):

    level x trend x weekday x season x holiday x promotion x noise x zone share

* **level and trend**: the scenario's ``orders_per_day`` at :data:`LEVEL_DATE`, growing by
  ``growth_per_year`` (each zone a little faster or slower);
* **weekday**: the scenario's ``weekday_factor`` (Monday .. Sunday);
* **season**: a July dip (Swedish summer holidays), a December run-up to Christmas, a quiet
  week between Christmas and New Year;
* **holidays**: the country's public and de facto holidays from the ``holidays`` package cut
  deliveries, and the next working day catches up;
* **promotions**: the scenario's promotion calendar (:mod:`scenarios.promotions`) lifts the day,
  major campaigns (Black Friday) far more than minor ones;
* **noise**: a city-wide day shock (weather, news), a zone-day shock, then Poisson counts.

Each order belongs to a customer of the zone (``customers.csv``), picked by the customer's own
ordering rate; the customer books their preferred slot with their own habit strength (less so at
weekends), or their pickup point with their pickup affinity. A day's draws depend only on the
seed and the date, so any span of history agrees with any other on their common days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from scenarios.promotions import demand_calendar
from scenarios.scenario import Customer, Scenario
from scheduling.demand_calendar import DemandCalendar
from scheduling.history import OrderHistory

LEVEL_DATE = dt.date(2026, 11, 1)  # the day the scenario's orders_per_day describes


@dataclass(frozen=True)
class DemandShape:
    """The generator's knobs; factors multiply expected orders (1.0 = no effect)."""

    growth_per_year: float = 0.12
    zone_growth_spread: float = 0.06  # zones grow by growth_per_year +- this (uniform)
    summer_dip: float = 0.25  # depth of the July trough
    christmas_peak: float = 0.30  # height of the mid-December peak
    between_years: float = 0.75  # 27-30 December
    holiday: float = 0.30  # deliveries on a public holiday
    after_holiday: float = 1.15  # the next working day catches up
    promotion_major: float = 1.9
    promotion_minor: float = 1.35
    promotion_jitter: float = 0.08  # each campaign's lift varies by this (log sd)
    day_noise: float = 0.05  # city-wide log sd
    zone_noise: float = 0.05  # zone-day log sd
    habit_mean: float = 0.8  # mean probability a customer books their preferred slot
    weekend_habit: float = 0.6  # habit strength is multiplied by this on Saturday and Sunday
    lead_days_mean: float = 1.5  # booking lead time before the delivery day


def season_factor(day: dt.date, shape: DemandShape = DemandShape()) -> float:
    """Annual seasonality of demand on ``day`` (1.0 on an ordinary spring day)."""
    doy = day.timetuple().tm_yday
    summer = -shape.summer_dip * np.exp(-(((doy - 198) / 22.0) ** 2))
    christmas = shape.christmas_peak * np.exp(-(((doy - 345) / 14.0) ** 2))
    winter = 0.05 * np.cos(2 * np.pi * (doy - 30) / 365.25)
    factor = 1.0 + summer + christmas + winter
    if day.month == 12 and 27 <= day.day <= 30:
        factor *= shape.between_years
    return float(factor)


@dataclass(frozen=True)
class _CustomerHabits:
    zone_index: dict[str, np.ndarray]  # customer indices per zone
    rate: np.ndarray  # relative ordering rate
    habit: np.ndarray  # probability of booking the preferred slot
    pickup_slot: np.ndarray  # preferred pickup window index


def _habits(customers: Sequence[Customer], n_pickup_slots: int, seed: int, shape: DemandShape) -> _CustomerHabits:
    rng = np.random.default_rng([seed, 43])
    n = len(customers)
    rate = rng.gamma(0.8, 1.0, size=n)  # a few frequent shoppers, many occasional ones
    a = 8.0
    habit = rng.beta(a * shape.habit_mean, a * (1 - shape.habit_mean), size=n)
    pickup_slot = rng.integers(0, max(1, n_pickup_slots), size=n)
    zones: dict[str, list[int]] = {}
    for i, c in enumerate(customers):
        zones.setdefault(c.zone, []).append(i)
    return _CustomerHabits({z: np.array(ix) for z, ix in zones.items()}, rate, habit, pickup_slot)


def zone_growth(zones: Sequence[str], seed: int, shape: DemandShape) -> dict[str, float]:
    rng = np.random.default_rng([seed, 44])
    spread = rng.uniform(-shape.zone_growth_spread, shape.zone_growth_spread, size=len(zones))
    return {z: shape.growth_per_year + float(s) for z, s in zip(sorted(zones), spread)}


def expected_orders(
    scenario: Scenario,
    day: dt.date,
    calendar: DemandCalendar,
    shape: DemandShape = DemandShape(),
) -> float:
    """Expected city-wide orders on ``day`` before noise (the generator's ground truth)."""
    years = (day - LEVEL_DATE).days / 365.25
    level = scenario.spec.demand.orders_per_day * (1 + shape.growth_per_year * years)
    factor = scenario.spec.demand.weekday_factor[day.weekday()] * season_factor(day, shape)
    return level * factor * _calendar_factor(day, calendar, shape)


def _calendar_factor(day: dt.date, calendar: DemandCalendar, shape: DemandShape) -> float:
    hols = calendar.holidays_in(day - dt.timedelta(days=3), day)
    factor = 1.0
    if day in hols:
        factor *= shape.holiday
    else:
        # the first working day after a holiday (over a weekend) catches up
        prev = day - dt.timedelta(days=1)
        while prev.weekday() == 6 and prev not in hols:
            prev -= dt.timedelta(days=1)
        if prev in hols:
            factor *= shape.after_holiday
    promo = calendar.promotion_on(day)
    if promo is not None:
        factor *= shape.promotion_major if promo.size == "major" else shape.promotion_minor
    return factor


def generate_history(
    scenario: Scenario,
    start: dt.date,
    end: dt.date,
    *,
    shape: DemandShape = DemandShape(),
    zone_opened: dict[str, dt.date] | None = None,
    calendar: DemandCalendar | None = None,
) -> OrderHistory:
    """Delivered orders from ``start`` to ``end`` (both included) for the scenario's zones.

    ``zone_opened`` lets a zone start deliveries later (a new service area), to show the
    forecaster's fallback for short histories.
    """
    if not scenario.customers:
        raise ValueError(f"scenario '{scenario.name}' has no customers file; run 'lastmile scenario build' first")
    if end < start:
        raise ValueError(f"history ends ({end}) before it starts ({start})")
    spec = scenario.spec
    seed = spec.seed
    calendar = calendar or demand_calendar(scenario, start - dt.timedelta(days=7), end)
    customers = scenario.customers
    home = [str(w) for w in scenario.home_slots()]
    pickup = [str(w) for w in scenario.pickup_slots()]
    habits = _habits(customers, len(pickup), seed, shape)
    zones = sorted(habits.zone_index)
    zone_rate = np.array([habits.rate[habits.zone_index[z]].sum() for z in zones])
    zone_share = zone_rate / zone_rate.sum()
    growth = zone_growth(zones, seed, shape)
    opened = zone_opened or {}
    preferred = np.array([home.index(c.preferred_slot) if c.preferred_slot in home else 0 for c in customers])
    affinity = np.array([c.pickup_affinity if c.preferred_pickup_point else 0.0 for c in customers])
    points = np.array([c.preferred_pickup_point for c in customers], dtype=object)
    popularity = np.bincount(preferred, minlength=len(home)) + 1.0
    popularity /= popularity.sum()
    sizes = np.array(sorted(spec.demand.parcels), dtype=int)
    size_p = np.array([spec.demand.parcels[s] for s in sizes], dtype=float)
    size_p /= size_p.sum()
    promo_jitter = {
        p.date: float(np.exp(np.random.default_rng([seed, 45, p.date.toordinal()]).normal(0, shape.promotion_jitter)))
        for p in calendar.promotions
    }

    slot_names = np.array(home + pickup, dtype=object)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("who", "slot", "day", "lead", "secs", "parcels")}
    day = start
    while day <= end:
        rng = np.random.default_rng([seed, 41, day.toordinal()])
        years = (day - LEVEL_DATE).days / 365.25
        base = (
            spec.demand.orders_per_day
            * spec.demand.weekday_factor[day.weekday()]
            * season_factor(day, shape)
            * _calendar_factor(day, calendar, shape)
            * promo_jitter.get(day, 1.0)
            * np.exp(rng.normal(0, shape.day_noise))
        )
        zone_noise = np.exp(rng.normal(0, shape.zone_noise, size=len(zones)))
        weekend = day.weekday() >= 5
        for k, zone in enumerate(zones):
            lam = base * zone_share[k] * (1 + growth[zone] * years) * zone_noise[k]
            n = int(rng.poisson(max(lam, 0.0)))
            if n == 0 or (zone in opened and day < opened[zone]):
                continue
            members = habits.zone_index[zone]
            w = habits.rate[members]
            who = members[rng.choice(len(members), size=n, p=w / w.sum())]
            habit = habits.habit[who] * (shape.weekend_habit if weekend else 1.0)
            keep = rng.random(n) < habit
            other = rng.choice(len(home), size=n, p=popularity)
            to_point = rng.random(n) < affinity[who]
            parts["who"].append(who)
            parts["slot"].append(
                np.where(to_point, len(home) + habits.pickup_slot[who], np.where(keep, preferred[who], other))
            )
            parts["day"].append(np.full(n, day.toordinal()))
            parts["lead"].append(rng.geometric(1 / (1 + shape.lead_days_mean), size=n))  # >= 1 day
            parts["secs"].append(rng.integers(7 * 3600, 23 * 3600, size=n))
            parts["parcels"].append(rng.choice(sizes, size=n, p=size_p))
        day += dt.timedelta(days=1)
    if not parts["who"]:
        raise ValueError(f"no orders generated between {start} and {end}")
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    who, slot = cat["who"], cat["slot"]
    delivery = pd.to_datetime(cat["day"] - dt.date(1970, 1, 1).toordinal(), unit="D")
    to_point = slot >= len(home)
    lat = np.array([c.lat for c in customers])
    lon = np.array([c.lon for c in customers])
    ids = np.array([c.id for c in customers], dtype=object)
    zone_of_customer = np.array([c.zone for c in customers], dtype=object)
    df = pd.DataFrame(
        {
            "created_at": delivery - pd.to_timedelta(cat["lead"], unit="D") + pd.to_timedelta(cat["secs"], unit="s"),
            "delivery_date": delivery,
            "slot": slot_names[slot],
            "zone": zone_of_customer[who],
            "lat": lat[who],
            "lon": lon[who],
            "parcels": cat["parcels"],
            "customer_id": ids[who],
            "pickup_point_id": np.where(to_point, points[who], ""),
        }
    )
    df = df.sort_values(["delivery_date", "zone", "created_at"], kind="stable").reset_index(drop=True)
    day_rank = df.groupby("delivery_date").cumcount() + 1
    df.insert(0, "order_id", "H" + df["delivery_date"].dt.strftime("%Y%m%d") + "-" + day_rank.map("{:04d}".format))
    return OrderHistory(df)


def default_history_span(until: dt.date, years: int = 2) -> tuple[dt.date, dt.date]:
    """``years`` of history ending on ``until`` (both included)."""
    return until - dt.timedelta(days=365 * years - 1), until
