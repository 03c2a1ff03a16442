"""The dispatcher's vocabulary: orders, vehicles, stops, routes and plans.

Units used throughout lastmile:

* times are whole **seconds since midnight** of the plan date (``08:00`` is ``28800``);
* durations are whole **seconds**;
* distances are **metres**;
* money is in the scenario's **currency** (SEK for the default city) as ``float``;
* loads are **parcels** (whole numbers), **weight** in kilograms and **volume** in litres
  (``float``; an order without them weighs 0 and takes no room, a vehicle without a weight or
  volume capacity is unlimited in it, ``None``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Sequence


def hhmm(seconds: int | float) -> str:
    """Format seconds since midnight as ``HH:MM`` (``28800`` -> ``"08:00"``)."""
    seconds = int(round(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def parse_hhmm(text: str) -> int:
    """Parse ``HH:MM`` (or ``HH:MM:SS``) into seconds since midnight.

    Raises ``ValueError`` with a readable message for anything else.
    """
    parts = str(text).strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"'{text}' is not a time of day; write it as HH:MM, for example 08:00")
    h, m = int(parts[0]), int(parts[1])
    s = int(parts[2]) if len(parts) == 3 else 0
    if not (0 <= h <= 24 and 0 <= m < 60 and 0 <= s < 60) or (h == 24 and (m or s)):
        raise ValueError(f"'{text}' is not a time of day between 00:00 and 24:00")
    return h * 3600 + m * 60 + s


@dataclass(frozen=True)
class TimeWindow:
    """A closed interval ``[start, end]`` in seconds since midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time window ends ({hhmm(self.end)}) before it starts ({hhmm(self.start)})")

    def contains(self, t: float) -> bool:
        return self.start <= t <= self.end

    def intersect(self, other: TimeWindow) -> TimeWindow | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return TimeWindow(start, end) if start <= end else None

    def __str__(self) -> str:
        return f"{hhmm(self.start)}-{hhmm(self.end)}"


def parse_windows(text: str) -> tuple[TimeWindow, ...]:
    """Several windows written as ``08:00-10:00|17:00-19:00`` (``|`` between them), in time order.

    Each window is ``HH:MM-HH:MM`` and must end after it starts; windows must not overlap or touch
    (``08:00-10:00|10:00-12:00`` is one window, ``08:00-12:00``). Raises ``ValueError`` naming the
    part that does not parse; an empty text is no window list (``()``).
    """
    parts = [p.strip() for p in str(text).strip().split("|")]
    if parts == [""]:
        return ()
    windows: list[TimeWindow] = []
    for part in parts:
        bounds = part.split("-")
        if len(bounds) != 2:
            raise ValueError(f"'{part}' is not a window; write each as HH:MM-HH:MM, several separated by | "
                             f"(for example 08:00-10:00|17:00-19:00)")
        try:
            start, end = parse_hhmm(bounds[0]), parse_hhmm(bounds[1])
        except ValueError as exc:
            raise ValueError(f"window '{part}': {exc}") from None
        if end <= start:
            raise ValueError(f"window '{part}' ends before (or when) it starts")
        windows.append(TimeWindow(start, end))
    windows.sort(key=lambda w: w.start)
    for a, b in zip(windows, windows[1:]):
        if b.start <= a.end:
            raise ValueError(f"the window {b} overlaps or touches {a}; write them as one window")
    return tuple(windows)


def windows_label(windows: Iterable[TimeWindow]) -> str:
    """``08:00-10:00|17:00-19:00``."""
    return "|".join(str(w) for w in windows)


def window_used(windows: Sequence[TimeWindow], start: int) -> TimeWindow | None:
    """The window a service starting at ``start`` falls in; a start after the last window (late,
    within a soft window's allowance) used the last one; None if it is before or between them."""
    for w in windows:
        if w.contains(start):
            return w
    if windows and start > windows[-1].end:
        return windows[-1]
    return None


# Skills an order may require and a vehicle (its crew and equipment) may have.
SKILLS: dict[str, str] = {
    "two_person": "a crew of two (furniture, white goods)",
    "cold_chain": "a refrigerated load space (groceries, medicine)",
    "installation": "installs or connects the item at the customer (longer service time)",
}


def parse_skills(text: str) -> tuple[str, ...]:
    """Skills written as ``cold_chain|two_person`` (``|``, ``,`` or spaces between them), sorted.

    Raises ``ValueError`` naming an unknown skill and the known ones; an empty text is no skill.
    """
    names = [s for s in re.split(r"[|,\s]+", str(text).strip().lower()) if s]
    unknown = [s for s in names if s not in SKILLS]
    if unknown:
        raise ValueError(f"unknown skill '{unknown[0]}'; use one of {', '.join(SKILLS)} (several separated by |)")
    return tuple(sorted(set(names)))


# What the van does at an order's address.
ORDER_KINDS: dict[str, str] = {
    "delivery": "parcels leave the depot on the van and are handed over at the address",
    "return": "parcels are collected at the address and brought back to the depot",
    "pickup_delivery": "parcels are picked up at the order's pickup place and handed over at the address, "
                       "by the same van on the same trip (a shop-to-customer or customer-to-customer job)",
}


def parse_order_kind(text: str) -> str:
    """``delivery`` (also an empty text), ``return`` or ``pickup_delivery``; raises ``ValueError``
    naming the accepted kinds."""
    kind = str(text).strip().lower() or "delivery"
    if kind not in ORDER_KINDS:
        raise ValueError(f"'{text}' is not an order kind; use one of {', '.join(ORDER_KINDS)}")
    return kind


# Default member tiers, lowest first; a scenario may define its own.
DEFAULT_TIERS: tuple[str, ...] = ("ordinary", "silver", "gold", "platinum")


@dataclass(frozen=True)
class Order:
    """One customer's delivery for the plan date.

    ``window`` is the booked slot. For an order to a pickup point (``pickup_point_id`` set)
    the window is when the parcel must be placed in the point; the van stops at the point's
    coordinates, given in ``lat``/``lon``.
    ``first_choice`` records what the customer asked for first (a slot string such as
    ``"08:00-10:00"`` or a pickup point id); it feeds the preference-match rate.

    ``windows``, when given, are several windows (the customer is home 08-10 *or* 17-19), in
    time order and disjoint; ``window`` is then their hull (first start to last end) and the
    stop must start in one of them, never in a gap. ``max_late_s`` (seconds) lets the service
    start that long after the (last) window closes, at ``late_cost_per_min`` currency per
    minute late; None takes the tier's (``tiers.<tier>.max_late_min`` / ``late_cost_per_min``
    of the scenario), 0 is a hard window. Late is never on time: the scorecard counts a late
    stop as not on time and reports its minutes and cost on their own.
    """

    id: str
    lat: float
    lon: float
    window: TimeWindow
    parcels: int = 1
    service_s: int = 180
    address: str = ""
    customer_id: str = ""
    tier: str = "ordinary"
    pickup_point_id: str | None = None
    zone: str = ""
    first_choice: str | None = None
    bulky: bool = False  # heavy or bulky: longer handling, already counted in ``service_s``
    weight_kg: float = 0.0  # kilograms
    volume_l: float = 0.0  # litres
    skills: tuple[str, ...] = ()  # names in :data:`SKILLS` the vehicle must have; installation time is in ``service_s``
    # Where the order came from: "api" (a shop's booking), "file" (an imported order file) or
    # "generated" (the scenario's day generator); bookings keep their id and the shop's reference.
    source: str = "generated"
    booking_id: str | None = None
    shop: str = ""
    order_ref: str = ""
    instructions: str = ""
    windows: tuple[TimeWindow, ...] = ()  # several windows; () is the single ``window``
    max_late_s: int | None = None  # seconds allowed after the (last) window; None: the tier's
    late_cost_per_min: float | None = None  # currency per minute late; None: the tier's
    ready_s: int | None = None  # seconds since midnight the parcels reach the depot; None: from the start
    kind: str = "delivery"  # a key of ORDER_KINDS: "return" is collected at the address and brought back
    # A pickup-and-delivery pair (kind "pickup_delivery"): the parcels are picked up here first, in
    # ``pickup_window`` (None: any time of the shift), then handed over at lat/lon in ``window``.
    pickup_lat: float | None = None
    pickup_lon: float | None = None
    pickup_address: str = ""
    pickup_window: TimeWindow | None = None

    @property
    def is_return(self) -> bool:
        return self.kind == "return"

    @property
    def is_pair(self) -> bool:
        """Picked up on the route (at ``pickup_lat``/``pickup_lon``), not loaded at the depot."""
        return self.kind == "pickup_delivery"

    @property
    def time_windows(self) -> tuple[TimeWindow, ...]:
        """The windows the service may start in (``(window,)`` for a single window)."""
        return self.windows or (self.window,)

    @property
    def slot_label(self) -> str:
        return windows_label(self.time_windows)

    @property
    def got_first_choice(self) -> bool:
        if self.first_choice is None:
            return True
        chosen = self.pickup_point_id if self.pickup_point_id else self.slot_label
        return self.first_choice == chosen


@dataclass(frozen=True)
class Depot:
    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class DriverBreak:
    """A break the driver must take: ``duration_s`` seconds lying wholly inside ``window`` (30 min
    within 11:00-14:00). Taken between two stops, while driving or waiting, never during a
    service; a route back at the depot early enough to take it afterwards needs none on it."""

    duration_s: int
    window: TimeWindow

    def __post_init__(self) -> None:
        if self.duration_s <= 0:
            raise ValueError("a break lasts at least a minute")
        if self.duration_s > self.window.end - self.window.start:
            raise ValueError(f"a break of {self.duration_s // 60} min does not fit in {self.window}")

    def __str__(self) -> str:
        return f"{self.duration_s // 60} min within {self.window}"


@dataclass(frozen=True)
class RouteBreak:
    """A break as planned on a route: after ``after_stops`` stops (0: before the first), from
    ``start`` to ``end`` (seconds since midnight)."""

    after_stops: int
    start: int
    end: int


@dataclass(frozen=True)
class RouteReload:
    """The van back at its depot mid-route to load its next trip: after ``after_stops`` stops, in
    at ``arrival``, loading from ``start`` (when the next trip's parcels are in) to ``end``, when it
    leaves with ``parcels`` for that trip (seconds since midnight)."""

    after_stops: int
    arrival: int
    start: int
    end: int
    parcels: int


# The street profiles a vehicle type may travel by (travel times from the same street network).
DRIVE = "drive"
STREET_PROFILES: dict[str, str] = {
    DRIVE: "a van on the driving network (motorways allowed, one-way streets obeyed)",
    "cycle": "a cargo bike on streets and cycle paths (no motorways or trunk roads, slower)",
}


@dataclass(frozen=True)
class Vehicle:
    """A van and its driver for the day.

    Costs: ``cost_per_km`` (currency per kilometre driven), ``cost_per_hour``
    (driver wage per hour from leaving to returning to the depot, waiting included),
    ``fixed_cost`` (currency per vehicle-day, charged only if the vehicle is used).

    Working time: ``breaks`` the driver takes (in order); ``max_route_s`` the longest route
    (leaving to back at the depot, breaks included), None: the shift bounds it; after
    ``normal_route_s`` each hour costs ``overtime_cost_per_hour`` on top of the wage.

    Multi-trip: the van may come back to its depot up to ``max_reloads`` times a day to load its
    next trip, each reload taking ``reload_s`` seconds; each trip has the whole capacity and
    leaves once its parcels are in (``Order.ready_s``).
    """

    id: str
    depot_id: str
    capacity: int
    shift: TimeWindow
    cost_per_km: float = 4.0
    cost_per_hour: float = 320.0
    fixed_cost: float = 600.0
    kind: str = "van"
    weight_capacity_kg: float | None = None  # kilograms; None: unlimited
    volume_capacity_l: float | None = None  # litres; None: unlimited
    skills: tuple[str, ...] = ()  # names in :data:`SKILLS`
    breaks: tuple[DriverBreak, ...] = ()
    max_route_s: int | None = None  # seconds
    normal_route_s: int | None = None  # seconds; overtime after it
    overtime_cost_per_hour: float = 0.0  # currency per hour beyond normal_route_s, on top of cost_per_hour
    profile: str = DRIVE  # a key of STREET_PROFILES: the streets it uses and how fast
    max_reloads: int = 0  # trips after the first, each loaded back at the depot
    reload_s: int = 0  # seconds per reload at the depot

    def overtime_s(self, route_s: int) -> int:
        """Seconds of a route of ``route_s`` seconds paid as overtime."""
        return 0 if self.normal_route_s is None else max(0, route_s - self.normal_route_s)

    def has_skills(self, required: Iterable[str]) -> bool:
        return set(required) <= set(self.skills)


CARRIER_KINDS: dict[str, str] = {
    "3pl": "a third-party logistics company (parcel network)",
    "crowd": "crowd couriers (private drivers paid per delivery)",
}


@dataclass(frozen=True)
class Carrier:
    """A third-party or crowd carrier that takes orders off the fleet at ``price_per_parcel``
    (currency) per parcel, at most ``daily_limit`` orders a day (None: no limit), only orders
    needing no skill beyond its ``skills`` (:mod:`optimizer.carriers`); with ``overflow_only``
    only orders the fleet has no room for."""

    id: str
    kind: str  # a key of CARRIER_KINDS
    price_per_parcel: float
    daily_limit: int | None = None
    skills: tuple[str, ...] = ()
    # An overflow contract: it takes only orders the fleet has no room for (``fleet_full``), never
    # one the fleet could serve at a higher cost nor one no vehicle could reach in its slot.
    overflow_only: bool = False

    def price(self, order: Order) -> float:
        """What handing ``order`` to this carrier costs (currency)."""
        return self.price_per_parcel * max(1, order.parcels)


@dataclass(frozen=True)
class CarrierOrder:
    """An order handed to a carrier: which one, its kind, the parcels and the price (currency)."""

    order_id: str
    carrier_id: str
    kind: str
    parcels: int
    cost: float


class _LoadWay:
    """Which way a stop's parcels move, from its ``kind`` and ``pair`` (for :class:`Stop` and
    :class:`Visit`): the one rule the plan's loads and a re-plan's loads follow."""

    @property
    def loaded_at_depot(self) -> bool:
        """A delivery whose parcels leave the depot on the van (not a return, not either end of a pair)."""
        return self.kind == "delivery" and not self.pair  # type: ignore[attr-defined]

    @property
    def comes_aboard(self) -> bool:
        """Its parcels come aboard here: a return collected, or a pair's pickup."""
        return self.kind in ("return", "pickup")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Stop(_LoadWay):
    """A place where a van halts: one home address, or a pickup point serving several orders."""

    id: str
    lat: float
    lon: float
    order_ids: tuple[str, ...]
    parcels: int
    window: TimeWindow
    service_s: int
    priority: int = 0
    pickup_point_id: str | None = None
    address: str = ""
    weight_kg: float = 0.0  # kilograms, all its orders
    volume_l: float = 0.0  # litres, all its orders
    skills: tuple[str, ...] = ()  # every skill any of its orders requires
    windows: tuple[TimeWindow, ...] = ()  # several windows (``window`` is their hull); () single
    max_late_s: int = 0  # seconds the service may start after the (last) window closes
    late_cost_per_min: float = 0.0  # currency per minute late (all its orders)
    ready_s: int = 0  # seconds since midnight its last parcel reaches the depot (0: from the start)
    kind: str = "delivery"  # "return": its parcels, kilograms and litres are collected, not delivered;
    # "pickup": the first end of a pickup-and-delivery pair, collected here and delivered at ``pair``
    pair: str = ""  # a pair's other end: the delivery stop's id at its pickup, the pickup's at its delivery

    @property
    def is_return(self) -> bool:
        return self.kind == "return"

    @property
    def is_pickup(self) -> bool:
        """The pickup end of a pair: its parcels come aboard here (not at the depot)."""
        return self.kind == "pickup"

    @property
    def time_windows(self) -> tuple[TimeWindow, ...]:
        return self.windows or (self.window,)


@dataclass(frozen=True)
class Visit(_LoadWay):
    """A stop on a route, with the re-simulated arrival and departure (seconds since midnight)."""

    stop_id: str
    order_ids: tuple[str, ...]
    lat: float
    lon: float
    arrival: int
    start: int  # service start: arrival, or the window's opening if the van waits
    departure: int
    load_after: int  # parcels still on board after this stop
    address: str = ""
    window: TimeWindow | None = None
    pickup_point_id: str | None = None
    parcels: int = 0
    weight_kg: float = 0.0
    volume_l: float = 0.0
    skills: tuple[str, ...] = ()
    windows: tuple[TimeWindow, ...] = ()  # the stop's several windows, () when it has one
    window_used: TimeWindow | None = None  # the window the service starts in (the last one if late)
    late_s: int = 0  # seconds after the window closed (a soft window's allowed lateness)
    late_cost: float = 0.0  # currency: late_s at the stop's cost per minute
    kind: str = "delivery"  # "return": ``parcels`` (and kg, litres) are collected here; "pickup": a pair's first end
    pair: str = ""  # a pair's other end (stop id), "" for a stop on its own


@dataclass(frozen=True)
class Route:
    vehicle_id: str
    depot_id: str
    visits: tuple[Visit, ...]
    start: int  # leaves the depot, seconds since midnight
    end: int  # back at the depot
    distance_m: int
    load: int  # parcels loaded at the depot (over all trips)
    weight_kg: float = 0.0  # kilograms loaded at the depot
    volume_l: float = 0.0  # litres loaded at the depot
    breaks: tuple[RouteBreak, ...] = ()  # the driver's breaks on the route
    collected: int = 0  # parcels of returns collected on the way and brought back to the depot
    reloads: tuple[RouteReload, ...] = ()  # back at the depot to load the next trip

    @property
    def trips(self) -> int:
        """Trips from the depot: one, plus one per reload (``load`` and kilograms are over all)."""
        return len(self.reloads) + 1

    @property
    def duration_s(self) -> int:
        return self.end - self.start


class UnservedReason(str, Enum):
    """Why an order could not be put on any route."""

    CAPACITY = "capacity"  # more parcels than any vehicle carries
    WINDOW_UNREACHABLE = "window_unreachable"  # no van can reach it before the window closes
    OUTSIDE_SHIFT = "outside_shift"  # the window or the round trip falls outside every driver shift
    FLEET_FULL = "fleet_full"  # feasible alone, but no route had room in time and parcels
    LOCKED_CONFLICT = "locked_conflict"  # locked to a vehicle that cannot serve it
    TOO_HEAVY = "too_heavy"  # heavier than any vehicle (with the skills it needs) carries
    TOO_BULKY = "too_bulky"  # more volume than any vehicle (with the skills it needs) holds
    SKILL_MISSING = "skill_missing"  # needs a skill no vehicle of the fleet has
    READY_TOO_LATE = "ready_too_late"  # its parcels reach the depot too late for its slot or any shift
    PAIR_UNREACHABLE = "pair_unreachable"  # no vehicle can pick it up in its pickup window and deliver it in its slot

    def describe(self) -> str:
        return {
            "capacity": "more parcels than any vehicle can carry",
            "window_unreachable": "no vehicle can reach the address before its slot closes",
            "outside_shift": "the slot or the round trip falls outside every driver's shift",
            "fleet_full": "the fleet has no room left in time or parcels for this slot",
            "locked_conflict": "it is locked to a vehicle that cannot serve it in its slot",
            "too_heavy": "heavier than any vehicle can carry",
            "too_bulky": "more volume than any vehicle can hold",
            "skill_missing": "it needs a skill no vehicle has",
            "ready_too_late": "its parcels reach the depot too late to be delivered in its slot",
            "pair_unreachable": "no vehicle can pick it up in its pickup window and deliver it in its slot",
        }[self.value]


@dataclass(frozen=True)
class Unserved:
    order_id: str
    stop_id: str
    reason: UnservedReason
    detail: str = ""


@dataclass
class Plan:
    """A solved day: routes, what was left out and why, and how it was found."""

    date: str
    routes: list[Route]
    unserved: list[Unserved]
    engine: str = "ortools"
    objective: float = 0.0
    solve_s: float = 0.0
    meta: dict = field(default_factory=dict)
    carrier_orders: list[CarrierOrder] = field(default_factory=list)  # handed to third-party or crowd carriers

    def served_order_ids(self) -> set[str]:
        return {oid for r in self.routes for v in r.visits for oid in v.order_ids}
