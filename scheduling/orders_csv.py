"""Import a dispatcher's order file (CSV), refusing it whole if any row is wrong.

Columns (header names, case-insensitive; order does not matter):

==================  ========  ==========================================================
column              required  meaning
==================  ========  ==========================================================
order_id            yes       unique id of the order
lat, lon            yes       delivery address in WGS84 degrees (for a pickup-point
                              order, may be left empty: the point's location is used)
slot_start          yes       booked window opens, ``HH:MM``
slot_end            yes       booked window closes, ``HH:MM``
address             no        address text for the driver sheet
parcels             no        number of parcels, a whole number >= 1 (default 1)
pickup_point_id     no        deliver to this pickup point instead of the address
tier                no        member tier (default ``ordinary``)
customer_id         no        the customer's id
bulky               no        ``yes`` for heavy or bulky parcels (longer handling)
first_choice        no        what the customer asked for first (slot ``HH:MM-HH:MM`` or point id)
shop                no        the shop the order belongs to (its name in lastmile)
order_ref           no        the shop's order reference; with ``shop``, matches a booking
instructions        no        delivery instructions for the driver (up to 500 characters)
==================  ========  ==========================================================

Line numbers in error messages count the header as line 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optimizer.domain import DEFAULT_TIERS, Order, TimeWindow, hhmm, parse_hhmm

REQUIRED_COLUMNS = ("order_id", "lat", "lon", "slot_start", "slot_end")
OPTIONAL_COLUMNS = (
    "address", "parcels", "pickup_point_id", "tier", "customer_id", "bulky", "first_choice", "shop", "order_ref", "instructions",
)
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class ServiceTimes:
    """Handling time at a home address: base plus per parcel, plus extra for bulky items (seconds)."""

    base_s: int = 120
    per_parcel_s: int = 30
    bulky_extra_s: int = 240

    def for_order(self, parcels: int, bulky: bool) -> int:
        return self.base_s + self.per_parcel_s * (parcels - 1) + (self.bulky_extra_s if bulky else 0)


@dataclass(frozen=True)
class PickupPointRef:
    """What the importer needs to know of a pickup point."""

    id: str
    lat: float
    lon: float
    name: str = ""


class OrderFileError(ValueError):
    """The file was refused as a whole; ``problems`` has one line per problem."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s), nothing imported:\n" + "\n".join(self.problems))


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    order_id: str = Field(min_length=1)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    slot_start: int
    slot_end: int
    address: str = ""
    parcels: int = Field(default=1, ge=1, le=1000)
    pickup_point_id: str | None = None
    tier: str = "ordinary"
    customer_id: str = ""
    bulky: bool = False
    first_choice: str | None = None
    shop: str = Field(default="", max_length=120)
    order_ref: str = Field(default="", max_length=80)
    instructions: str = Field(default="", max_length=500)

    @field_validator("lat", "lon", "pickup_point_id", "first_choice", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("parcels", mode="before")
    @classmethod
    def _blank_parcels(cls, v: object) -> object:
        return 1 if isinstance(v, str) and not v.strip() else v

    @field_validator("tier", mode="before")
    @classmethod
    def _blank_tier(cls, v: object) -> object:
        return "ordinary" if isinstance(v, str) and not v.strip() else str(v).strip().lower()

    @field_validator("slot_start", "slot_end", mode="before")
    @classmethod
    def _time(cls, v: object) -> int:
        return parse_hhmm(str(v))

    @field_validator("bulky", mode="before")
    @classmethod
    def _yes_no(cls, v: object) -> bool:
        text = str(v).strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValueError(f"'{v}' is not yes or no")

    @model_validator(mode="after")
    def _window_and_place(self) -> "_Row":
        if self.slot_end <= self.slot_start:
            raise ValueError("slot_end: the slot ends before (or when) it starts; slot_end must be later than slot_start")
        if self.pickup_point_id is None and (self.lat is None or self.lon is None):
            raise ValueError("lat/lon: a home delivery needs both lat and lon (or give a pickup_point_id)")
        return self


def _field_problem(line: int, err: dict) -> str:
    loc = err.get("loc") or ()
    column = str(loc[0]) if loc else ""
    msg = err.get("msg", "invalid")
    msg = msg.removeprefix("Value error, ")
    if column and not msg.startswith(column):
        return f"line {line}, column {column}: {msg} (got {err.get('input')!r})"
    if not column and ":" in msg:
        column, _, rest = msg.partition(":")
        return f"line {line}, column {column.strip()}:{rest}"
    return f"line {line}: {msg}"


def parse_orders(
    rows: Iterable[Mapping[str, str]] | str | Path,
    *,
    source: str | None = None,
    tiers: Sequence[str] = DEFAULT_TIERS,
    pickup_points: Mapping[str, PickupPointRef] | None = None,
    service: ServiceTimes = ServiceTimes(),
    check_locations: Callable[[Sequence[tuple[int, float, float]]], list[str]] | None = None,
) -> list[Order]:
    """Read and validate orders; raise :class:`OrderFileError` listing every problem.

    ``rows`` is a CSV path, CSV text, or already-parsed dict rows. ``check_locations``, given
    ``(line, lat, lon)`` of every home delivery that parsed, returns a problem line for each
    place it cannot serve (e.g. too far from the street network); they are reported together
    with the rest, in line order.
    """
    pickup_points = pickup_points or {}
    if isinstance(rows, Path) or (isinstance(rows, str) and "\n" not in rows and rows.endswith(".csv")):
        path = Path(rows)
        source = source or str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise OrderFileError(source, [f"cannot read the file: {exc.strerror}"]) from exc
        rows = text
    source = source or "orders"
    if isinstance(rows, str):
        reader = csv.DictReader(io.StringIO(rows.lstrip("\ufeff")))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise OrderFileError(
                source,
                [f"line 1, column {c}: required column is missing; add a '{c}' column to the header" for c in missing],
            )
        records = [{(k or "").strip().lower(): (v or "") for k, v in r.items()} for r in reader]
    else:
        records = [dict(r) for r in rows]

    problems: list[str] = []
    orders: list[Order] = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(records):
        line = i + 2
        try:
            row = _Row.model_validate(rec)
        except ValidationError as exc:
            problems.extend(_field_problem(line, e) for e in exc.errors())
            continue
        if row.order_id in seen:
            problems.append(f"line {line}, column order_id: '{row.order_id}' repeats line {seen[row.order_id]}; order ids must be unique")
            continue
        seen[row.order_id] = line
        if row.tier not in tiers:
            problems.append(f"line {line}, column tier: unknown tier '{row.tier}'; use one of {', '.join(tiers)}")
            continue
        lat, lon = row.lat, row.lon
        if row.pickup_point_id is not None:
            point = pickup_points.get(row.pickup_point_id)
            if point is None:
                known = ", ".join(sorted(pickup_points)[:8]) or "none defined"
                problems.append(
                    f"line {line}, column pickup_point_id: unknown pickup point '{row.pickup_point_id}' (known: {known})"
                )
                continue
            lat, lon = point.lat, point.lon
        orders.append(
            Order(
                id=row.order_id,
                lat=float(lat),  # type: ignore[arg-type]
                lon=float(lon),  # type: ignore[arg-type]
                window=TimeWindow(row.slot_start, row.slot_end),
                parcels=row.parcels,
                service_s=service.for_order(row.parcels, row.bulky),
                address=row.address or (pickup_points[row.pickup_point_id].name if row.pickup_point_id else ""),
                customer_id=row.customer_id,
                tier=row.tier,
                pickup_point_id=row.pickup_point_id,
                first_choice=row.first_choice,
                bulky=row.bulky,
                source="file",
                shop=row.shop,
                order_ref=row.order_ref,
                instructions=row.instructions,
            )
        )
    if not records:
        problems.append("line 2: the file has a header but no orders")
    if check_locations is not None:
        homes = [(seen[o.id], o.lat, o.lon) for o in orders if o.pickup_point_id is None]
        if homes:
            problems.extend(check_locations(homes))
    if problems:
        raise OrderFileError(source, sorted(problems, key=_line_number))
    return orders


def _line_number(problem: str) -> int:
    head = problem.split(",", 1)[0].split(":", 1)[0]
    return int(head.removeprefix("line ").strip()) if head.startswith("line ") and head[5:].strip().isdigit() else 0


def write_orders_csv(orders: Sequence[Order], path: Path) -> None:
    """Write orders in the import format, so a generated day can be edited and planned again."""

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        for o in orders:
            w.writerow(
                [
                    o.id,
                    f"{o.lat:.6f}",
                    f"{o.lon:.6f}",
                    hhmm(o.window.start),
                    hhmm(o.window.end),
                    o.address,
                    o.parcels,
                    o.pickup_point_id or "",
                    o.tier,
                    o.customer_id,
                    "yes" if o.bulky else "no",
                    o.first_choice or "",
                    o.shop,
                    o.order_ref,
                    o.instructions,
                ]
            )
