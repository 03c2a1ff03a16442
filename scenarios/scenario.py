"""A scenario: the plain-data description of one delivery operation.

A scenario is a folder with ``scenario.yaml`` plus CSV files (customers, pickup points). It
names its street network, so another city is a new folder, not new code::

    name: gothenburg
    network: gothenburg          # the embedded city, or a path to an .osm.pbf (relative to the folder)
    depots: [...]
    fleet: [...]

Every field is validated on load; an error names the file, the field and the fix.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optimizer.domain import (CARRIER_KINDS, DRIVE, SKILLS, STREET_PROFILES, Carrier, Depot, DriverBreak, TimeWindow, Vehicle,
                              parse_hhmm, parse_skills)
from scheduling.orders_csv import PickupPointRef, ServiceTimes

BUILTIN_DIR = Path(__file__).parent / "data"


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file and the field."""


def _window(text: str) -> TimeWindow:
    start, sep, end = str(text).partition("-")
    if not sep:
        raise ValueError(f"'{text}' is not a time window; write it as HH:MM-HH:MM, for example 08:00-20:00")
    return TimeWindow(parse_hhmm(start), parse_hhmm(end))


def _checked_window(text: str) -> str:
    """``text`` itself when it is a time window ``HH:MM-HH:MM`` (else the ValueError saying how to write it)."""
    _window(text)
    return text


# A time window written HH:MM-HH:MM, checked when the scenario is read (a shift, a break's or a band's span).
WindowText = Annotated[str, AfterValidator(_checked_window)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DepotSpec(_Strict):
    id: str
    name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class BreakSpec(_Strict):
    """A break the drivers of a fleet take: ``duration_min`` minutes wholly inside ``within``."""

    duration_min: int = Field(ge=1, le=8 * 60, description="minutes")
    within: WindowText = Field(description="HH:MM-HH:MM the break must lie in, for example 11:00-14:00")

    @model_validator(mode="after")
    def _fits(self) -> "BreakSpec":
        w = _window(self.within)
        if self.duration_min * 60 > w.end - w.start:
            raise ValueError(f"a break of {self.duration_min} min does not fit within {self.within}; "
                             f"shorten duration_min or widen within")
        return self


class FleetSpec(_Strict):
    """A group of identical vehicles: ``count`` vans named ``{id_prefix}-1`` .. ``{id_prefix}-{count}``."""

    id_prefix: str
    count: int = Field(ge=1, le=1000)
    depot: str
    capacity: int = Field(ge=1, description="parcels")
    shift: WindowText = "08:00-20:00"
    cost_per_km: float = Field(default=4.0, ge=0)
    cost_per_hour: float = Field(default=320.0, ge=0)
    fixed_cost: float = Field(default=600.0, ge=0)
    kind: str = "van"
    weight_capacity_kg: float | None = Field(default=None, gt=0, description="kilograms; leave out for unlimited")
    volume_capacity_l: float | None = Field(default=None, gt=0, description="litres of load space; leave out for unlimited")
    skills: list[str] = Field(default_factory=list, description=f"what the crew and vehicle can do: {', '.join(SKILLS)}")
    breaks: list[BreakSpec] = Field(default_factory=list, max_length=2,
                                    description="the drivers' breaks, in the order taken (at most two)")
    max_route_h: float | None = Field(default=None, gt=0, le=24,
                                      description="hours from leaving to back at the depot, breaks included; "
                                                  "leave out for the shift alone")
    normal_route_h: float | None = Field(default=None, gt=0, le=24, description="hours after which overtime is paid")
    overtime_cost_per_hour: float = Field(default=0.0, ge=0, description="currency per overtime hour, on top of cost_per_hour")
    profile: str = Field(default=DRIVE, description=f"street profile: one of {', '.join(STREET_PROFILES)}")
    max_reloads: int = Field(default=0, ge=0, le=10,
                             description="times a day the van may come back to its depot to load another trip")
    reload_min: float = Field(default=0.0, ge=0, le=240, description="minutes each reload takes at the depot")

    @field_validator("profile")
    @classmethod
    def _profile(cls, v: str) -> str:
        if v not in STREET_PROFILES:
            raise ValueError(f"unknown street profile '{v}'; use one of {', '.join(STREET_PROFILES)} "
                             f"(cycle: a cargo bike on streets and cycle paths)")
        return v

    @model_validator(mode="after")
    def _working_time(self) -> "FleetSpec":
        shift = _window(self.shift)
        length = shift.end - shift.start
        for k, b in enumerate(self.breaks):
            w = _window(b.within)
            if b.duration_min * 60 >= length:
                raise ValueError(f"breaks[{k}]: a break of {b.duration_min} min is as long as the shift {self.shift} "
                                 f"or longer; shorten the break or lengthen the shift")
            if w.end <= shift.start or w.start >= shift.end:
                raise ValueError(f"breaks[{k}]: within {b.within} lies outside the shift {self.shift}")
        for a, b in zip(self.breaks, self.breaks[1:]):
            if _window(b.within).end < _window(a.within).start + a.duration_min * 60 + b.duration_min * 60:
                raise ValueError("breaks: the second break cannot follow the first inside its window; "
                                 "list the breaks in the order they are taken")
        if self.normal_route_h is not None and self.max_route_h is not None and self.normal_route_h > self.max_route_h:
            raise ValueError(f"normal_route_h ({self.normal_route_h}) is above max_route_h ({self.max_route_h}); "
                             f"overtime starts after the normal duration, which must not pass the maximum")
        if self.overtime_cost_per_hour and self.normal_route_h is None:
            raise ValueError("overtime_cost_per_hour needs normal_route_h: the hours after which overtime is paid")
        return self

    @field_validator("skills")
    @classmethod
    def _skills(cls, v: list[str]) -> list[str]:
        return list(parse_skills("|".join(v)))


class TierSpec(_Strict):
    drop_penalty: float = Field(ge=0, description="currency lost when such an order is left unserved")
    share: float = Field(default=0.0, ge=0, le=1, description="share of generated customers in this tier")
    fee_waiver: bool = False
    premium_slots: bool = False
    max_late_min: int = Field(default=0, ge=0, le=24 * 60,
                              description="soft window: minutes such an order may be served after its window closes")
    late_cost_per_min: float = Field(default=0.0, ge=0, description="currency per minute late")


class ServiceSpec(_Strict):
    home_base_s: int = Field(default=120, ge=0)
    per_parcel_s: int = Field(default=30, ge=0)
    bulky_extra_s: int = Field(default=240, ge=0)
    installation_s: int = Field(default=1800, ge=0, le=8 * 3600,
                                description="seconds added to an order that needs installation")
    pickup_base_s: int = Field(default=300, ge=0)
    pickup_per_parcel_s: int = Field(default=20, ge=0)


class SlotSpec(_Strict):
    home: list[str] = Field(min_length=1)
    pickup: list[str] = Field(min_length=1)

    @field_validator("home", "pickup")
    @classmethod
    def _windows(cls, v: list[str]) -> list[str]:
        for w in v:
            _window(w)
        return v


class DemandSpec(_Strict):
    orders_per_day: int = Field(ge=0)
    weekday_factor: list[float] = Field(default=[1.0, 1.0, 1.0, 1.0, 1.05, 0.8, 0.5], min_length=7, max_length=7)
    pickup_share: float = Field(default=0.15, ge=0, le=1)
    first_choice_rate: float = Field(default=0.85, ge=0, le=1)
    bulky_share: float = Field(default=0.05, ge=0, le=1)
    parcels: dict[int, float] = Field(default={1: 0.6, 2: 0.25, 3: 0.1, 5: 0.05})


class DispatchSpec(_Strict):
    """The dispatcher's day: when booking for a date closes, and how wide the ETA windows are."""

    cutoff_days_before: int = Field(default=1, ge=0, le=14, description="booking closes this many days before the date")
    cutoff_at: str = Field(default="22:00", description="... at this time of day (HH:MM, local time of the slot calendar, Europe/Stockholm)")
    eta_window_minutes: int = Field(default=60, ge=5, le=24 * 60, description="width of a published ETA window")

    @field_validator("cutoff_at")
    @classmethod
    def _time(cls, v: str) -> str:
        parse_hhmm(v)
        return v


class RetentionSpec(_Strict):
    """How long customers' data is kept (:mod:`scenarios.privacy.retention`)."""

    personal_days: int = Field(default=90, ge=1, le=3650,
                               description="days after its date a booking keeps its personal fields (customer id, address, "
                                           "instructions, exact place); then it is anonymized")
    history_days: int = Field(default=730, ge=1, le=36500,
                              description="days after its date an anonymized booking (zone, date, slot, counts) is kept for "
                                          "forecasts and scorecards; then it is deleted")

    @model_validator(mode="after")
    def _order(self) -> "RetentionSpec":
        if self.history_days < self.personal_days:
            raise ValueError(f"retention.history_days ({self.history_days}) is shorter than retention.personal_days "
                             f"({self.personal_days}); keep the anonymized history at least as long")
        return self


class CarrierSpec(_Strict):
    """A third-party (``3pl``) or crowd carrier that takes overflow orders at a price per parcel."""

    id: str = Field(min_length=1)
    kind: str = Field(description=f"one of {', '.join(CARRIER_KINDS)}")
    price_per_parcel: float = Field(gt=0, description="currency per parcel handed over")
    daily_limit: int | None = Field(default=None, ge=1, description="orders a day; leave out for no limit")
    skills: list[str] = Field(default_factory=list, description="skills its couriers have (usually none)")
    overflow_only: bool = Field(default=False, description="take only orders the fleet has no room for (fleet_full)")

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in CARRIER_KINDS:
            raise ValueError(f"unknown carrier kind '{v}'; use one of {', '.join(CARRIER_KINDS)}")
        return v

    @field_validator("skills")
    @classmethod
    def _skills(cls, v: list[str]) -> list[str]:
        return list(parse_skills("|".join(v)))


class TrafficBandSpec(_Strict):
    """A rush-hour band: ``within`` (``HH:MM-HH:MM``) vans drive at ``factors`` of their free-flow
    speed, by road class group (:data:`geo.osm_rules.ROAD_CLASS_GROUPS`; a group left out is 1.0)."""

    name: str = Field(min_length=1)
    within: WindowText
    factors: dict[str, float] = Field(description="share of free-flow speed per road class group, in (0, 1.5]")

    @field_validator("factors")
    @classmethod
    def _factors(cls, v: dict[str, float]) -> dict[str, float]:
        from geo.osm_rules import ROAD_CLASS_GROUPS

        for group, factor in v.items():
            if group not in ROAD_CLASS_GROUPS:
                raise ValueError(f"unknown road class group '{group}'; use {', '.join(ROAD_CLASS_GROUPS)}")
            if not 0 < factor <= 1.5:
                raise ValueError(f"{group}: {factor} is not a share of free-flow speed; give a number in (0, 1.5], "
                                 f"such as 0.6 for 60 % of it")
        return v


class ScenarioSpec(_Strict):
    name: str
    description: str = ""
    network: str = "gothenburg"
    currency: str = "SEK"
    seed: int = 0
    snap_max_distance_m: float = Field(default=500.0, gt=0)
    depots: list[DepotSpec] = Field(min_length=1)
    fleet: list[FleetSpec] = Field(min_length=1)
    tiers: dict[str, TierSpec]
    service: ServiceSpec = ServiceSpec()
    slots: SlotSpec
    demand: DemandSpec
    customers: str = "customers.csv"
    pickup_points: str = "pickup_points.csv"
    choice: dict[str, float] = Field(default_factory=dict)
    dispatch: DispatchSpec = DispatchSpec()
    retention: RetentionSpec = RetentionSpec()
    carriers: list[CarrierSpec] = Field(default_factory=list, description="overflow carriers, cheapest used first")
    traffic: list[TrafficBandSpec] = Field(default_factory=list, max_length=6,
                                           description="rush-hour bands of the vans' speeds; none: free flow all day")

    @model_validator(mode="after")
    def _bands_apart(self) -> "ScenarioSpec":
        bands = sorted(((_window(b.within), b.name) for b in self.traffic), key=lambda x: x[0].start)
        for (a, name_a), (b, name_b) in zip(bands, bands[1:]):
            if b.start < a.end:
                raise ValueError(f"traffic: the bands {name_a} ({a}) and {name_b} ({b}) overlap; make them one "
                                 f"band or move one")
        return self

    @model_validator(mode="after")
    def _references(self) -> "ScenarioSpec":
        depot_ids = {d.id for d in self.depots}
        for i, f in enumerate(self.fleet):
            if f.depot not in depot_ids:
                raise ValueError(f"fleet.{i}.depot: '{f.depot}' is not a depot id; use one of {sorted(depot_ids)}")
        if "ordinary" not in self.tiers:
            raise ValueError("tiers: an 'ordinary' tier is required (the default for orders without a tier)")
        return self


@dataclass(frozen=True)
class Customer:
    id: str
    lat: float
    lon: float
    address: str
    zone: str
    tier: str
    preferred_slot: str  # e.g. "18:00-20:00"
    pickup_affinity: float  # probability of choosing a pickup point when one is near
    preferred_pickup_point: str  # nearest open point within walking reach, or ""


@dataclass(frozen=True)
class PickupPoint:
    """A parcel locker or partner counter. Capacity in parcels per day; daily cost in currency."""

    id: str
    name: str
    lat: float
    lon: float
    kind: str
    capacity: int
    opens: int
    closes: int
    daily_cost: float
    active: bool

    def ref(self) -> PickupPointRef:
        return PickupPointRef(self.id, self.lat, self.lon, self.name)


@dataclass
class Scenario:
    spec: ScenarioSpec
    folder: Path
    customers: list[Customer] = field(default_factory=list)
    pickup_points: list[PickupPoint] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def network_source(self) -> str:
        """The embedded city name, or an absolute path to the network file."""
        src = self.spec.network
        if src == "gothenburg":
            return src
        path = Path(src)
        return str(path if path.is_absolute() else (self.folder / path).resolve())

    def depots(self) -> list[Depot]:
        return [Depot(d.id, d.name, d.lat, d.lon) for d in self.spec.depots]

    def vehicles(self) -> list[Vehicle]:
        out = []
        for f in self.spec.fleet:
            for k in range(1, f.count + 1):
                out.append(
                    Vehicle(
                        id=f"{f.id_prefix}-{k}",
                        depot_id=f.depot,
                        capacity=f.capacity,
                        shift=_window(f.shift),
                        cost_per_km=f.cost_per_km,
                        cost_per_hour=f.cost_per_hour,
                        fixed_cost=f.fixed_cost,
                        kind=f.kind,
                        weight_capacity_kg=f.weight_capacity_kg,
                        volume_capacity_l=f.volume_capacity_l,
                        skills=tuple(f.skills),
                        breaks=tuple(DriverBreak(b.duration_min * 60, _window(b.within)) for b in f.breaks),
                        max_route_s=None if f.max_route_h is None else round(f.max_route_h * 3600),
                        normal_route_s=None if f.normal_route_h is None else round(f.normal_route_h * 3600),
                        overtime_cost_per_hour=f.overtime_cost_per_hour,
                        profile=f.profile,
                        max_reloads=f.max_reloads,
                        reload_s=round(f.reload_min * 60),
                    )
                )
        return out

    def traffic_bands(self) -> list[tuple[str, TimeWindow, dict[str, float]]]:
        """The rush-hour bands ``(name, within, factors)`` in time order (none: free flow all day)."""
        return sorted(((b.name, _window(b.within), dict(b.factors)) for b in self.spec.traffic),
                      key=lambda band: band[1].start)

    def home_slots(self) -> list[TimeWindow]:
        return [_window(w) for w in self.spec.slots.home]

    def pickup_slots(self) -> list[TimeWindow]:
        return [_window(w) for w in self.spec.slots.pickup]

    def service_times(self) -> ServiceTimes:
        s = self.spec.service
        return ServiceTimes(s.home_base_s, s.per_parcel_s, s.bulky_extra_s, s.installation_s)

    def carriers(self) -> list[Carrier]:
        """The overflow carriers (:mod:`optimizer.carriers`)."""
        return [Carrier(c.id, c.kind, c.price_per_parcel, c.daily_limit, tuple(c.skills), c.overflow_only)
                for c in self.spec.carriers]

    def drop_penalties(self) -> dict[str, float]:
        return {name: t.drop_penalty for name, t in self.spec.tiers.items()}

    def tier_lateness(self) -> dict[str, tuple[int, float]]:
        """Tier -> (seconds an order may be late, currency per minute late): the soft windows of
        orders that set neither themselves (``max_late_min``/``late_cost_per_min`` in a file)."""
        return {name: (t.max_late_min * 60, t.late_cost_per_min) for name, t in self.spec.tiers.items()}

    def tier_names(self) -> tuple[str, ...]:
        return tuple(self.spec.tiers)

    def active_pickup_points(self) -> list[PickupPoint]:
        return [p for p in self.pickup_points if p.active]

    def pickup_refs(self) -> dict[str, PickupPointRef]:
        return {p.id: p.ref() for p in self.pickup_points}


def builtin_scenarios() -> list[str]:
    return sorted(p.name for p in BUILTIN_DIR.iterdir() if (p / "scenario.yaml").is_file())


def resolve_scenario_dir(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if (path / "scenario.yaml").is_file():
        return path
    if path.name == "scenario.yaml" and path.is_file():
        return path.parent
    builtin = BUILTIN_DIR / str(name_or_path)
    if (builtin / "scenario.yaml").is_file():
        return builtin
    raise ScenarioError(
        f"scenario '{name_or_path}' not found: give a built-in name ({', '.join(builtin_scenarios())}) "
        "or a folder containing scenario.yaml"
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    folder = resolve_scenario_dir(name_or_path)
    yaml_path = folder / "scenario.yaml"
    try:
        raw: Any = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{yaml_path}: not valid YAML: {exc}") from exc
    try:
        spec = ScenarioSpec.model_validate(raw or {})
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            # Cross-field checks name their own field at the start of the message.
            lines.append(f"{yaml_path}: field {where}: {msg}" if where else f"{yaml_path}: field {msg}")
        raise ScenarioError("\n".join(lines)) from exc
    scenario = Scenario(spec=spec, folder=folder)
    customers_path = folder / spec.customers
    if customers_path.is_file():
        scenario.customers = _read_customers(customers_path, spec)
    points_path = folder / spec.pickup_points
    if points_path.is_file():
        scenario.pickup_points = _read_pickup_points(points_path)
    return scenario


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ScenarioError(f"{path}: missing column(s) {', '.join(missing)}")
        return list(reader)


def _read_customers(path: Path, spec: ScenarioSpec) -> list[Customer]:
    cols = ("customer_id", "lat", "lon", "address", "zone", "tier", "preferred_slot", "pickup_affinity", "preferred_pickup_point")
    out = []
    for line, r in enumerate(_read_csv(path, cols), start=2):
        try:
            if r["tier"] not in spec.tiers:
                raise ValueError(f"unknown tier '{r['tier']}'")
            out.append(
                Customer(
                    id=r["customer_id"],
                    lat=float(r["lat"]),
                    lon=float(r["lon"]),
                    address=r["address"],
                    zone=r["zone"],
                    tier=r["tier"],
                    preferred_slot=r["preferred_slot"],
                    pickup_affinity=float(r["pickup_affinity"]),
                    preferred_pickup_point=r["preferred_pickup_point"],
                )
            )
        except ValueError as exc:
            raise ScenarioError(f"{path} line {line}: {exc}") from exc
    return out


def _read_pickup_points(path: Path) -> list[PickupPoint]:
    cols = ("id", "name", "lat", "lon", "kind", "capacity", "opens", "closes", "daily_cost", "active")
    out = []
    for line, r in enumerate(_read_csv(path, cols), start=2):
        try:
            capacity = int(r["capacity"])
            if capacity < 0:
                raise ValueError(f"capacity {capacity} is negative; give parcels per day >= 0")
            out.append(
                PickupPoint(
                    id=r["id"],
                    name=r["name"],
                    lat=float(r["lat"]),
                    lon=float(r["lon"]),
                    kind=r["kind"],
                    capacity=capacity,
                    opens=parse_hhmm(r["opens"]),
                    closes=parse_hhmm(r["closes"]),
                    daily_cost=float(r["daily_cost"]),
                    active=r["active"].strip().lower() in ("yes", "true", "1"),
                )
            )
        except ValueError as exc:
            raise ScenarioError(f"{path} line {line}: {exc}") from exc
    return out
