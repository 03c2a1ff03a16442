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

Two settings (:data:`HISTORY_SETTINGS`):

* ``"clean"`` (the default) is exactly the model above. Its structure is the one the
  forecaster's regressors encode, so backtest scores on it flatter the models.
* ``"messy"`` adds what a real shop's history has and the calendar does not tell
  (:class:`ShopQuirks`, listed by :func:`shop_events`): a zone whose demand steps up when a new
  housing area opens, flash sales the shop forgot to put in the promotion calendar, a snow week
  each winter with catch-up days after it, stock-outs that cap one product category's daily
  orders (orders above the cap are lost), a weekday profile that drifts slowly (weekends
  rising, Mondays falling) and over-dispersed (negative binomial) counts. Its orders carry a
  ``category`` column (the stock-out category or ``"other"``; CSV exports leave it out). It is
  deterministic by seed and date like the clean setting.
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
HISTORY_SETTINGS = ("clean", "messy")


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
class ShopQuirks:
    """The ``messy`` setting's knobs: what a real shop's history has and the calendar lacks.

    Factors multiply expected orders (1.0 = no effect). Events that recur each year (snow,
    forgotten promotions, stock-outs) are drawn per calendar year from the seed and the year
    alone, so every span of history sees the same events; :func:`shop_events` lists them.
    """

    # A new housing area: one zone's demand steps up, ramping in linearly.
    housing_zone: str | None = None  # None: the seed picks one of the scenario's zones
    housing_opens: dt.date = dt.date(2026, 3, 2)  # first day of the ramp (a Monday)
    housing_lift: float = 0.40  # +40 % once fully in
    housing_ramp_days: int = 28  # reached after four weeks
    # Flash sales the shop forgot to put in the promotion calendar (the forecaster never sees them).
    forgotten_per_year: tuple[int, int] = (1, 2)  # how many a year (both included)
    forgotten_lift: tuple[float, float] = (1.5, 1.7)  # city-wide lift of the day (uniform)
    forgotten_months: tuple[int, int] = (3, 10)  # March .. October, away from holidays and campaigns
    forgotten_clearance_days: int = 7  # no holiday or calendar promotion within this many days
    # A week of bad weather each winter, then catch-up days.
    snow_window: tuple[tuple[int, int], tuple[int, int]] = ((1, 22), (2, 21))  # first day between (month, day)s
    snow_days: tuple[int, int] = (5, 7)  # length (both included)
    snow_factor: float = 0.75  # -25 %
    catch_up_days: tuple[int, int] = (1, 2)  # the days right after the snow
    catch_up_factor: float = 1.20
    # Stock-outs: one category's city-wide daily orders are capped; orders above the cap are lost.
    stockout_category: str = "electronics"
    category_share: float = 0.20  # share of orders in that category
    stockouts_per_year: tuple[int, int] = (1, 2)
    stockout_weeks: tuple[int, int] = (2, 4)
    stockout_windows: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (((2, 1), (5, 10)), ((8, 1), (10, 20)))
    stockout_cap: float = 0.5  # the daily cap, as a share of the category's ordinary weekday orders
    # Slow drift of the weekday profile, linear between two dates (none before, all of it after).
    drift_from: dt.date = dt.date(2024, 12, 2)
    drift_to: dt.date = dt.date(2026, 11, 30)
    weekday_drift: tuple[float, ...] = (0.85, 0.95, 1.0, 1.0, 1.0, 1.25, 1.4)  # Monday .. Sunday, see drifted_weekday
    # Over-dispersion: negative binomial counts, variance = mean + mean^2 / dispersion (0: Poisson).
    dispersion: float = 25.0


@dataclass(frozen=True)
class ShopEvent:
    """One dated quirk of the ``messy`` setting, from ``first`` to ``last`` (both included).

    ``kind`` is ``"housing"`` (``zone``'s demand x ``factor`` once ramped in; ``last`` is the
    end of the ramp), ``"forgotten_promotion"``, ``"snow"`` or ``"catch_up"`` (city-wide x
    ``factor``), or ``"stockout"`` (``category``'s city-wide orders at most ``cap`` a day).
    """

    kind: str
    first: dt.date
    last: dt.date
    factor: float = 1.0
    zone: str | None = None
    category: str | None = None
    cap: int | None = None

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def drifted_weekday(scenario: Scenario, day: dt.date, quirks: ShopQuirks = ShopQuirks()) -> float:
    """The ``messy`` weekday factor of ``day``: the scenario's ``weekday_factor`` moving linearly,
    from ``drift_from`` to ``drift_to``, to itself x ``weekday_drift`` rescaled to the same weekly sum."""
    base = np.asarray(scenario.spec.demand.weekday_factor, dtype=float)
    target = base * np.asarray(quirks.weekday_drift, dtype=float)
    target *= base.sum() / target.sum()
    span = (quirks.drift_to - quirks.drift_from).days
    w = min(1.0, max(0.0, (day - quirks.drift_from).days / span)) if span > 0 else 1.0
    k = day.weekday()
    return float((1 - w) * base[k] + w * target[k])


def housing_zone(scenario: Scenario, quirks: ShopQuirks = ShopQuirks()) -> str:
    """The zone where the new housing area opens (``quirks.housing_zone``, else the seed's pick)."""
    zones = sorted({c.zone for c in scenario.customers})
    if quirks.housing_zone is not None:
        if quirks.housing_zone not in zones:
            raise ValueError(f"housing zone '{quirks.housing_zone}' is not one of the scenario's zones: {', '.join(zones)}")
        return quirks.housing_zone
    return zones[int(np.random.default_rng([scenario.spec.seed, 49]).integers(0, len(zones)))]


def _between(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def _year_events(scenario: Scenario, year: int, quirks: ShopQuirks, shape: DemandShape) -> list[ShopEvent]:
    seed = scenario.spec.seed
    events = []
    # snow, then catch-up
    rng = np.random.default_rng([seed, 47, year, 1])
    (m0, d0), (m1, d1) = quirks.snow_window
    lo, hi = dt.date(year, m0, d0), dt.date(year, m1, d1)
    first = lo + dt.timedelta(days=_between(rng, 0, (hi - lo).days))
    last = first + dt.timedelta(days=_between(rng, *quirks.snow_days) - 1)
    events.append(ShopEvent("snow", first, last, quirks.snow_factor))
    n_catch = _between(rng, *quirks.catch_up_days)
    if n_catch > 0:
        events.append(ShopEvent("catch_up", last + dt.timedelta(days=1), last + dt.timedelta(days=n_catch),
                                quirks.catch_up_factor))
    # forgotten flash sales, on ordinary days (no holiday or calendar promotion nearby, no Sunday)
    rng = np.random.default_rng([seed, 47, year, 2])
    calendar = demand_calendar(scenario, dt.date(year - 1, 12, 1), dt.date(year + 1, 1, 31))
    clear = dt.timedelta(days=quirks.forgotten_clearance_days)
    near = set(calendar.holidays_in(dt.date(year - 1, 12, 1), dt.date(year + 1, 1, 31))) | {p.date for p in calendar.promotions}
    m_first, m_last = quirks.forgotten_months
    day, candidates = dt.date(year, m_first, 1), []
    while day.year == year and day.month <= m_last:
        if day.weekday() != 6 and not any(day - clear <= d <= day + clear for d in near):
            candidates.append(day)
        day += dt.timedelta(days=1)
    n = min(_between(rng, *quirks.forgotten_per_year), len(candidates))
    for i in sorted(rng.choice(len(candidates), size=n, replace=False)):
        lift = float(rng.uniform(*quirks.forgotten_lift))
        events.append(ShopEvent("forgotten_promotion", candidates[i], candidates[i], lift))
    # stock-outs, one per window (a random window when only one)
    rng = np.random.default_rng([seed, 47, year, 3])
    n = _between(rng, *quirks.stockouts_per_year)
    windows = list(quirks.stockout_windows)
    if n < len(windows):
        keep = sorted(rng.choice(len(windows), size=n, replace=False))
        windows = [windows[i] for i in keep]
    orders = scenario.spec.demand.orders_per_day
    ordinary_weekday = float(np.mean(scenario.spec.demand.weekday_factor[:5]))
    for (m0, d0), (m1, d1) in windows:
        lo, hi = dt.date(year, m0, d0), dt.date(year, m1, d1)
        first = lo + dt.timedelta(days=_between(rng, 0, (hi - lo).days))
        last = first + dt.timedelta(days=7 * _between(rng, *quirks.stockout_weeks) - 1)
        years = (first - LEVEL_DATE).days / 365.25
        usual = orders * (1 + shape.growth_per_year * years) * ordinary_weekday * season_factor(first, shape)
        cap = max(1, int(quirks.stockout_cap * quirks.category_share * usual))
        events.append(ShopEvent("stockout", first, last, quirks.stockout_cap, category=quirks.stockout_category, cap=cap))
    return events


def shop_events(
    scenario: Scenario,
    start: dt.date,
    end: dt.date,
    quirks: ShopQuirks = ShopQuirks(),
    shape: DemandShape = DemandShape(),
) -> list[ShopEvent]:
    """The ``messy`` setting's dated quirks touching ``start`` .. ``end``, by first day (the
    housing area from its opening on). A stock-out's ``cap`` is ``stockout_cap`` x the category's
    expected orders on an ordinary weekday (trend and season of its first day, no calendar)."""
    ramp_end = quirks.housing_opens + dt.timedelta(days=max(1, quirks.housing_ramp_days) - 1)
    events = [ShopEvent("housing", quirks.housing_opens, ramp_end, 1 + quirks.housing_lift, zone=housing_zone(scenario, quirks))]
    for year in range(start.year, end.year + 1):
        events += _year_events(scenario, year, quirks, shape)
    out = [e for e in events if e.first <= end and (e.last >= start or e.kind == "housing")]
    return sorted(out, key=lambda e: (e.first, e.kind))


def _housing_factor(day: dt.date, quirks: ShopQuirks) -> float:
    if day < quirks.housing_opens:
        return 1.0
    ramp = max(1, quirks.housing_ramp_days)
    return 1.0 + quirks.housing_lift * min(1.0, ((day - quirks.housing_opens).days + 1) / ramp)


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
    setting: str = "clean",
    shape: DemandShape = DemandShape(),
    quirks: ShopQuirks | None = None,
    zone_opened: dict[str, dt.date] | None = None,
    calendar: DemandCalendar | None = None,
) -> OrderHistory:
    """Delivered orders from ``start`` to ``end`` (both included) for the scenario's zones.

    ``setting`` is one of :data:`HISTORY_SETTINGS`: ``"clean"`` (the model in the module
    docstring) or ``"messy"`` (plus ``quirks``, default :class:`ShopQuirks`, which the
    ``calendar`` does not list). ``zone_opened`` lets a zone start deliveries later (a new
    service area), to show the forecaster's fallback for short histories.
    """
    if setting not in HISTORY_SETTINGS:
        raise ValueError(f"unknown history setting '{setting}'; valid settings: {', '.join(HISTORY_SETTINGS)}")
    if quirks is not None and setting != "messy":
        raise ValueError(f"quirks apply to the 'messy' history setting only, not '{setting}'")
    if not scenario.customers:
        raise ValueError(f"scenario '{scenario.name}' has no customers file; run 'lastmile scenario build' first")
    if end < start:
        raise ValueError(f"history ends ({end}) before it starts ({start})")
    messy = setting == "messy"
    quirks = quirks or ShopQuirks()
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
    events = shop_events(scenario, start, end, quirks, shape) if messy else []
    city_events = [e for e in events if e.kind in ("snow", "catch_up", "forgotten_promotion")]
    stockouts = [e for e in events if e.kind == "stockout"]
    new_housing = next((e.zone for e in events if e.kind == "housing"), None)

    slot_names = np.array(home + pickup, dtype=object)
    keys = ("who", "slot", "day", "lead", "secs", "parcels") + (("category",) if messy else ())
    parts: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    day = start
    while day <= end:
        rng = np.random.default_rng([seed, 41, day.toordinal()])
        years = (day - LEVEL_DATE).days / 365.25
        weekday = drifted_weekday(scenario, day, quirks) if messy else spec.demand.weekday_factor[day.weekday()]
        base = (
            spec.demand.orders_per_day
            * weekday
            * season_factor(day, shape)
            * _calendar_factor(day, calendar, shape)
            * promo_jitter.get(day, 1.0)
            * np.exp(rng.normal(0, shape.day_noise))
        )
        for e in city_events:
            if e.covers(day):
                base *= e.factor
        zone_noise = np.exp(rng.normal(0, shape.zone_noise, size=len(zones)))
        weekend = day.weekday() >= 5
        if messy:
            category_rng = np.random.default_rng([seed, 46, day.toordinal()])
        today: dict[str, list[np.ndarray]] = {k: [] for k in keys}
        for k, zone in enumerate(zones):
            lam = base * zone_share[k] * (1 + growth[zone] * years) * zone_noise[k]
            if zone == new_housing:
                lam *= _housing_factor(day, quirks)
            if messy and quirks.dispersion > 0:
                n = int(rng.negative_binomial(quirks.dispersion, quirks.dispersion / (quirks.dispersion + max(lam, 1e-9))))
            else:
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
            today["who"].append(who)
            today["slot"].append(
                np.where(to_point, len(home) + habits.pickup_slot[who], np.where(keep, preferred[who], other))
            )
            today["day"].append(np.full(n, day.toordinal()))
            today["lead"].append(rng.geometric(1 / (1 + shape.lead_days_mean), size=n))  # >= 1 day
            today["secs"].append(rng.integers(7 * 3600, 23 * 3600, size=n))
            today["parcels"].append(rng.choice(sizes, size=n, p=size_p))
            if messy:
                today["category"].append(category_rng.random(n) < quirks.category_share)
        cap = next((e.cap for e in stockouts if e.covers(day)), None)
        if cap is not None and today["who"]:
            _cap_category(today, cap)
        for key, arrays in today.items():
            parts[key].extend(arrays)
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
    columns = {
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
    if messy:
        columns["category"] = np.where(cat["category"], quirks.stockout_category, "other")
    df = pd.DataFrame(columns)
    df = df.sort_values(["delivery_date", "zone", "created_at"], kind="stable").reset_index(drop=True)
    day_rank = df.groupby("delivery_date").cumcount() + 1
    df.insert(0, "order_id", "H" + df["delivery_date"].dt.strftime("%Y%m%d") + "-" + day_rank.map("{:04d}".format))
    return OrderHistory(df)


def _cap_category(today: dict[str, list[np.ndarray]], cap: int) -> None:
    """Keep at most ``cap`` of the day's stock-out category orders, the first booked; the rest are lost."""
    flags = np.concatenate(today["category"])
    if flags.sum() <= cap:
        return
    booked = -np.concatenate(today["lead"]) * 86400 + np.concatenate(today["secs"])  # seconds from the delivery day
    in_category = np.flatnonzero(flags)
    served = in_category[np.argsort(booked[in_category], kind="stable")[:cap]]
    keep = ~flags
    keep[served] = True
    for key, arrays in today.items():
        today[key] = [np.concatenate(arrays)[keep]]


def default_history_span(until: dt.date, years: int = 2) -> tuple[dt.date, dt.date]:
    """``years`` of history ending on ``until`` (both included)."""
    return until - dt.timedelta(days=365 * years - 1), until
