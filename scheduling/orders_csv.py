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
weight_kg           no        weight of the order in kilograms, a number >= 0 (default 0)
volume_l            no        volume of the order in litres, a number >= 0 (default 0)
skills              no        what the vehicle must have: ``two_person``, ``cold_chain``,
                              ``installation`` (adds the scenario's installation time),
                              several separated by ``|`` (default none)
windows             no        several windows instead of one slot, ``HH:MM-HH:MM`` separated by
                              ``|`` (``08:00-10:00|17:00-19:00``); slot_start/slot_end may then
                              be empty, and if given every window must lie inside them; home
                              deliveries only
max_late_min        no        soft window: minutes the delivery may start after the (last)
                              window closes, a whole number >= 0 (empty: the tier's, 0: hard)
late_cost_per_min   no        currency per minute late, a number >= 0 (empty: the tier's)
ready_at            no        ``HH:MM`` the parcels reach the depot (a late linehaul): the van
                              that carries them leaves no earlier (empty: from the start of day)
kind                no        ``delivery`` (default), ``return`` or ``pickup_delivery``. A
                              return's parcels (with their weight and volume) are collected at
                              the address or pickup point and brought back to the depot; the
                              van's load then holds along the route, not only in total; a
                              return has no ``ready_at``. A ``pickup_delivery`` order's parcels
                              are picked up at ``pickup_lat``/``pickup_lon`` (a shop, a
                              customer) and delivered at ``lat``/``lon`` in the slot, by the
                              same van, pickup first; home address only, one slot, no
                              ``ready_at``
pickup_lat,         no        where a ``pickup_delivery`` order is picked up, WGS84 degrees
pickup_lon                    (both, and only for that kind)
pickup_address      no        the pickup place's address text for the driver sheet
pickup_window       no        when the parcels can be picked up, ``HH:MM-HH:MM`` (empty: any
                              time of the shift); must open before the slot closes
first_choice        no        what the customer asked for first (slot ``HH:MM-HH:MM`` or point id)
shop                no        the shop the order belongs to (its name in lastmile)
order_ref           no        the shop's order reference; with ``shop``, matches a booking
instructions        no        delivery instructions for the driver (up to 500 characters)
==================  ========  ==========================================================

Line numbers in error messages count the header as line 1, as a spreadsheet shows them.

What a spreadsheet program saves is read as it is (:func:`decode_order_file`):

* **encoding**: a byte-order mark says UTF-8 or UTF-16 (Excel's "Unicode text"); without one
  the file is read as UTF-8, and if it is not valid UTF-8, as Windows-1252 (cp1252, Excel's
  plain "CSV" on Western European Windows). The day page's import says when it fell back to
  Windows-1252; ``lastmile plan --orders`` reads it silently. Bytes that are neither are
  refused with the line they are on.
* **delimiter**: ``,``, ``;`` (Excel with a European decimal comma) or a tab, whichever of
  them splits the header line into known column names; with ``;`` or a tab a decimal comma
  in ``lat``/``lon`` (``57,7`` for ``57.7``) is read as a decimal point.
* **size**: a field longer than :data:`FIELD_LIMIT` characters (128 KB) refuses the file with
  its line and column; so does a file of more orders than one day may have
  (:func:`max_orders_per_day`, ``LASTMILE_MAX_ORDERS_PER_DAY``, default 5,000), before any
  row is checked, so a huge file costs no matrix memory.
* a cell written as ``'=...`` (see :mod:`scheduling.csv_cells`) is read as ``=...``.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optimizer.domain import (DEFAULT_TIERS, Order, TimeWindow, hhmm, parse_hhmm, parse_order_kind, parse_skills,
                              parse_windows, windows_label)
from scheduling.csv_cells import csv_writer, unquote_cell

REQUIRED_COLUMNS = ("order_id", "lat", "lon", "slot_start", "slot_end")
OPTIONAL_COLUMNS = (
    "address", "parcels", "pickup_point_id", "tier", "customer_id", "bulky", "first_choice", "shop", "order_ref", "instructions",
    "weight_kg", "volume_l", "skills", "windows", "max_late_min", "late_cost_per_min", "ready_at",
    "kind", "pickup_lat", "pickup_lon", "pickup_address", "pickup_window",
)
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
DELIMITERS = (",", ";", "\t")
FIELD_LIMIT = csv.field_size_limit()  # characters in one field (131072 = 128 KB, Python's default)
MAX_ORDERS_ENV = "LASTMILE_MAX_ORDERS_PER_DAY"
DEFAULT_MAX_ORDERS_PER_DAY = 5000
MAX_WEIGHT_KG = 100_000  # more than any road vehicle carries: a typo, not an order
MAX_VOLUME_L = 1_000_000
MAX_LATE_MIN = 24 * 60  # a day: more is a typo
MAX_LATE_COST_PER_MIN = 1_000_000
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class ServiceTimes:
    """Handling time at a home address: base plus per parcel, plus extra for bulky items, plus the
    installation time of an order that needs ``installation`` (seconds)."""

    base_s: int = 120
    per_parcel_s: int = 30
    bulky_extra_s: int = 240
    installation_s: int = 1800

    def for_order(self, parcels: int, bulky: bool, skills: Sequence[str] = ()) -> int:
        extra = (self.bulky_extra_s if bulky else 0) + (self.installation_s if "installation" in skills else 0)
        return self.base_s + self.per_parcel_s * (parcels - 1) + extra


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


# --------------------------------------------------------------------------- reading the file

ENCODING_UTF8, ENCODING_UTF16, ENCODING_CP1252 = "UTF-8", "UTF-16", "Windows-1252"
_RESAVE = "save it from the spreadsheet as 'CSV UTF-8' and import it again"


def decode_order_file(raw: bytes, source: str = "orders") -> tuple[str, str]:
    """The text of an order file's bytes and the encoding it was read in (``UTF-8``,
    ``UTF-16`` or ``Windows-1252``); raise :class:`OrderFileError` when it is none of them."""
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise OrderFileError(source, ["line 1: this is a spreadsheet workbook (.xlsx or .xls), not a CSV file; "
                                      "save it from the spreadsheet as 'CSV UTF-8' and import that"])
    if raw.startswith(codecs.BOM_UTF8):
        encoding, label = "utf-8-sig", ENCODING_UTF8
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, label = "utf-16", ENCODING_UTF16
    elif b"\x00" in raw[:4096]:
        head = raw[:4096]
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if even == 0 and odd * 4 > len(head):  # ASCII letters in UTF-16 without a mark: every other byte zero
            encoding, label = "utf-16-le", ENCODING_UTF16
        elif odd == 0 and even * 4 > len(head):
            encoding, label = "utf-16-be", ENCODING_UTF16
        else:
            raise OrderFileError(source, [f"line {raw[: raw.index(0)].count(10) + 1}: the file contains NUL bytes, "
                                          f"so it is not a CSV text file; {_RESAVE}"])
    else:
        try:
            return raw.decode("utf-8"), ENCODING_UTF8
        except UnicodeDecodeError:
            encoding, label = "cp1252", ENCODING_CP1252
    try:
        return raw.decode(encoding).lstrip("\ufeff"), label
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        what = "neither UTF-8 nor Windows-1252" if label == ENCODING_CP1252 else f"not {label}"
        raise OrderFileError(source, [f"line {line}: byte {exc.start + 1} (0x{raw[exc.start]:02X}) is {what} text; "
                                      f"{_RESAVE}"]) from None


def max_orders_per_day() -> int:
    """The most orders one day may have: ``LASTMILE_MAX_ORDERS_PER_DAY``, default 5,000.

    The travel-time matrices of a day grow with the square of its stops (5,000 stops are about
    200 MB each, 100,000 stops tens of GiB), so a larger day is refused before they are built.
    Raises ``ValueError`` naming the variable when it is not a whole number >= 1.
    """
    raw = os.environ.get(MAX_ORDERS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_ORDERS_PER_DAY
    try:
        limit = int(raw.replace("_", ""))
    except ValueError:
        limit = 0
    if limit < 1:
        raise ValueError(f"{MAX_ORDERS_ENV}={raw!r} is not a whole number >= 1; set it to the most orders one day "
                         f"may have (default {DEFAULT_MAX_ORDERS_PER_DAY}) or unset it")
    return limit


def too_many_orders(count: int, limit: int) -> str | None:
    """The refusal of a day of ``count`` orders over ``limit`` (None when it fits)."""
    if count <= limit:
        return None
    return (f"{count:,} orders for one day is more than the {limit:,} allowed; split them into smaller days, or raise "
            f"the limit with {MAX_ORDERS_ENV} (the travel-time matrices grow with the square of the orders)")


def _delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most known column names (``,`` on a tie)."""
    def known(d: str) -> int:
        names = next(csv.reader([header_line], delimiter=d), [])
        return sum(1 for n in names if n.strip().lower().lstrip("\ufeff") in KNOWN_COLUMNS)

    return max(DELIMITERS, key=lambda d: (known(d), d == ","))


def _long_field_column(record: str, delimiter: str, header: Sequence[str]) -> str:
    """Which column of the CSV record starting ``record`` is longer than :data:`FIELD_LIMIT`."""
    column, length, quoted, i = 0, 0, False, 0
    while i < len(record) and length <= FIELD_LIMIT:
        ch = record[i]
        if quoted:
            if ch == '"' and record[i + 1 : i + 2] == '"':
                i += 1
            elif ch == '"':
                quoted = False
                i += 1
                continue
            length += 1
        elif ch == '"' and length == 0:
            quoted = True
        elif ch == delimiter:
            column, length = column + 1, 0
        elif ch in "\r\n":
            break
        else:
            length += 1
        i += 1
    return header[column] if column < len(header) else f"number {column + 1}"


def _text_records(text: str, source: str, max_orders: int) -> list[tuple[int, dict[str, str]]]:
    """``(line, row)`` of every order line of CSV ``text``, header names lower-cased."""
    first_line = text.split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    physical = io.StringIO(text).readlines()
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    records: list[tuple[int, dict[str, str]]] = []
    line, read_to, count, first_over = 0, 0, 0, 0
    try:
        for row in reader:
            line, read_to = line + 1, reader.line_num
            if header is None:
                if row:
                    header = [h.strip().lower() for h in row]
                continue
            if not any(v.strip() for v in row):
                continue
            count += 1
            if count > max_orders:
                first_over = first_over or line
                continue  # counted, not kept: the file is refused below
            values = [unquote_cell(v) for v in row]
            rec = {h: (values[k] if k < len(values) else "") for k, h in enumerate(header) if h}
            if delimiter != ",":
                for c in ("lat", "lon", "pickup_lat", "pickup_lon"):
                    if re.fullmatch(r"\s*[+-]?\d+,\d+\s*", rec.get(c, "")):
                        rec[c] = rec[c].replace(",", ".")
            records.append((line, rec))
    except csv.Error as exc:
        line += 1
        if "field larger than field limit" in str(exc):
            column = _long_field_column("".join(physical[read_to:]), delimiter, header or [])
            problem = (f"line {line}, column {column}: the field is longer than {FIELD_LIMIT:,} characters "
                       f"(128 KB); no order needs that much, check the file is the order CSV")
        else:
            problem = f"line {line}: the file is not valid CSV ({exc}); {_RESAVE}"
        raise OrderFileError(source, [problem]) from None
    header = header or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems = [f"line 1, column {c}: required column is missing; add a '{c}' column to the header" for c in missing]
        others = [d for d in DELIMITERS if d != delimiter and d in first_line]
        if others and not KNOWN_COLUMNS.intersection(header):
            shown = "a tab" if others[0] == "\t" else f"'{others[0]}'"
            problems.append(f"line 1: the file uses {shown} between fields, but none of its header names is a known "
                            f"column; name the columns {', '.join(REQUIRED_COLUMNS)} (and the optional ones)")
        raise OrderFileError(source, problems)
    problem = too_many_orders(count, max_orders)
    if problem:
        raise OrderFileError(source, [f"line {first_over}: {problem}"])
    return records


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    order_id: str = Field(min_length=1)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    slot_start: int | None = None
    slot_end: int | None = None
    windows: tuple[TimeWindow, ...] = ()
    max_late_min: int | None = None
    late_cost_per_min: float | None = None
    ready_at: int | None = None
    kind: str = "delivery"
    pickup_lat: float | None = Field(default=None, ge=-90, le=90)
    pickup_lon: float | None = Field(default=None, ge=-180, le=180)
    pickup_address: str = Field(default="", max_length=500)
    pickup_window: TimeWindow | None = None
    address: str = ""
    parcels: int = Field(default=1, ge=1, le=1000)
    pickup_point_id: str | None = None
    tier: str = "ordinary"
    customer_id: str = ""
    bulky: bool = False
    weight_kg: float = 0.0
    volume_l: float = 0.0
    skills: tuple[str, ...] = ()
    first_choice: str | None = None
    shop: str = Field(default="", max_length=120)
    order_ref: str = Field(default="", max_length=80)
    instructions: str = Field(default="", max_length=500)

    @field_validator("pickup_window", mode="before")
    @classmethod
    def _pickup_window(cls, v: object) -> TimeWindow | None:
        windows = parse_windows("" if v is None else str(v))
        if len(windows) > 1:
            raise ValueError("one window only, HH:MM-HH:MM (for example 13:00-15:00)")
        return windows[0] if windows else None

    @field_validator("lat", "lon", "pickup_lat", "pickup_lon", "pickup_point_id", "first_choice", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("parcels", mode="before")
    @classmethod
    def _blank_parcels(cls, v: object) -> object:
        return 1 if isinstance(v, str) and not v.strip() else v

    @field_validator("weight_kg", "volume_l", mode="before")
    @classmethod
    def _amount(cls, v: object, info) -> float:
        unit, most = ("kilograms", MAX_WEIGHT_KG) if info.field_name == "weight_kg" else ("litres", MAX_VOLUME_L)
        text = str(v).strip() if v is not None else ""
        if not text:
            return 0.0
        if re.fullmatch(r"[+-]?\d+,\d+", text):  # a decimal comma, as a European spreadsheet writes it
            text = text.replace(",", ".")
        try:
            amount = float(text)
        except ValueError:
            amount = math.nan
        if not math.isfinite(amount) or not 0 <= amount <= most:
            raise ValueError(f"must be a number of {unit} from 0 to {most:,} (such as 12.5), or empty for 0")
        return amount

    @field_validator("skills", mode="before")
    @classmethod
    def _skills(cls, v: object) -> tuple[str, ...]:
        return parse_skills("" if v is None else str(v))

    @field_validator("tier", mode="before")
    @classmethod
    def _blank_tier(cls, v: object) -> object:
        return "ordinary" if isinstance(v, str) and not v.strip() else str(v).strip().lower()

    @field_validator("ready_at", mode="before")
    @classmethod
    def _ready(cls, v: object) -> int | None:
        if v is None or not str(v).strip():
            return None
        return parse_hhmm(str(v))

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: object) -> str:
        return parse_order_kind("" if v is None else str(v))

    @field_validator("slot_start", "slot_end", mode="before")
    @classmethod
    def _time(cls, v: object) -> int | None:
        if v is None or not str(v).strip():
            return None  # allowed only with windows (checked below)
        return parse_hhmm(str(v))

    @field_validator("windows", mode="before")
    @classmethod
    def _windows(cls, v: object) -> tuple[TimeWindow, ...]:
        return parse_windows("" if v is None else str(v))

    @field_validator("max_late_min", mode="before")
    @classmethod
    def _late_minutes(cls, v: object) -> int | None:
        text = "" if v is None else str(v).strip()
        if not text:
            return None
        if not text.isdigit() or int(text) > MAX_LATE_MIN:
            raise ValueError(f"must be a whole number of minutes from 0 to {MAX_LATE_MIN} (such as 15), "
                             f"or empty for the tier's")
        return int(text)

    @field_validator("late_cost_per_min", mode="before")
    @classmethod
    def _late_cost(cls, v: object) -> float | None:
        text = "" if v is None else str(v).strip()
        if not text:
            return None
        if re.fullmatch(r"[+-]?\d+,\d+", text):
            text = text.replace(",", ".")
        try:
            amount = float(text)
        except ValueError:
            amount = math.nan
        if not math.isfinite(amount) or not 0 <= amount <= MAX_LATE_COST_PER_MIN:
            raise ValueError(f"must be an amount of currency per minute from 0 to {MAX_LATE_COST_PER_MIN:,} "
                             f"(such as 2.5), or empty for the tier's")
        return amount

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
        self._pair()
        if self.kind == "return" and self.ready_at is not None:
            raise ValueError("ready_at: a return is collected at the customer, no parcel waits for it at the depot; "
                             "leave ready_at empty for kind return")
        if self.windows:
            if self.pickup_point_id is not None:
                raise ValueError("windows: several windows are for home deliveries; a pickup-point order has "
                                 "one slot (slot_start, slot_end)")
            given = [x for x in (self.slot_start, self.slot_end) if x is not None]
            if len(given) == 1:
                raise ValueError("slot_start: give both slot_start and slot_end around the windows, or neither")
            if given and not (self.slot_start <= self.windows[0].start and self.windows[-1].end <= self.slot_end):
                raise ValueError(f"windows: {windows_label(self.windows)} do not lie inside the slot "
                                 f"{hhmm(self.slot_start)}-{hhmm(self.slot_end)}; leave slot_start/slot_end empty or widen them")
            return self._place()
        for name in ("slot_start", "slot_end"):
            if getattr(self, name) is None:
                raise ValueError(f"{name}: required (HH:MM), unless the order has windows")
        if self.slot_end <= self.slot_start:
            raise ValueError("slot_end: the slot ends before (or when) it starts; slot_end must be later than slot_start")
        return self._place()

    def _pair(self) -> None:
        """A pickup-and-delivery order's own fields: its pickup place, and what it may not have."""
        given = [name for name in ("pickup_lat", "pickup_lon", "pickup_window") if getattr(self, name) is not None]
        if self.kind != "pickup_delivery":
            if given or self.pickup_address:
                column = given[0] if given else "pickup_address"
                raise ValueError(f"{column}: only a kind pickup_delivery order is picked up on the route; "
                                 f"set kind to pickup_delivery or leave {column} empty")
            return
        for name in ("pickup_lat", "pickup_lon"):
            if getattr(self, name) is None:
                raise ValueError(f"{name}: a pickup_delivery order needs pickup_lat and pickup_lon, "
                                 f"where its parcels are picked up")
        for name, why in (("pickup_point_id", "it is delivered to the home address, not to a pickup point"),
                          ("windows", "it has one slot (slot_start, slot_end), not several windows"),
                          ("ready_at", "its parcels are picked up on the route, none waits at the depot")):
            if getattr(self, name):
                raise ValueError(f"{name}: a pickup_delivery order takes no {name}: {why}")
        if self.pickup_window is not None and self.slot_end is not None and self.pickup_window.start >= self.slot_end:
            raise ValueError(f"pickup_window: opens at {hhmm(self.pickup_window.start)}, when the slot has closed "
                             f"({hhmm(self.slot_end)}); the pickup must open before the slot closes")

    def _place(self) -> "_Row":
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
    max_orders: int | None = None,
) -> list[Order]:
    """Read and validate orders; raise :class:`OrderFileError` listing every problem.

    ``rows`` is a CSV path (its bytes decoded by :func:`decode_order_file`), CSV text, or
    already-parsed dict rows. ``max_orders`` (default :func:`max_orders_per_day`) refuses a
    longer file before any row is checked. ``check_locations``, given
    ``(line, lat, lon)`` of every home delivery that parsed, returns a problem line for each
    place it cannot serve (e.g. too far from the street network); they are reported together
    with the rest, in line order.
    """
    pickup_points = pickup_points or {}
    if isinstance(rows, Path) or (isinstance(rows, str) and "\n" not in rows and rows.endswith(".csv")):
        path = Path(rows)
        source = source or str(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise OrderFileError(source, [f"cannot read the file: {exc.strerror}"]) from exc
        rows, _encoding = decode_order_file(raw, source)
    source = source or "orders"
    if max_orders is None:
        try:
            max_orders = max_orders_per_day()
        except ValueError as exc:
            raise OrderFileError(source, [str(exc)]) from None
    if isinstance(rows, str):
        records = _text_records(rows.lstrip("\ufeff"), source, max_orders)
    else:
        records = [(i + 2, dict(r)) for i, r in enumerate(rows)]
        problem = too_many_orders(len(records), max_orders)
        if problem:
            raise OrderFileError(source, [f"line {max_orders + 2}: {problem}"])

    problems: list[str] = []
    orders: list[Order] = []
    seen: dict[str, int] = {}
    for line, rec in records:
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
                window=(TimeWindow(row.windows[0].start, row.windows[-1].end) if row.windows
                        else TimeWindow(row.slot_start, row.slot_end)),  # type: ignore[arg-type]
                windows=row.windows if len(row.windows) > 1 else (),
                max_late_s=None if row.max_late_min is None else row.max_late_min * 60,
                late_cost_per_min=row.late_cost_per_min,
                ready_s=row.ready_at,
                kind=row.kind,
                pickup_lat=row.pickup_lat,
                pickup_lon=row.pickup_lon,
                pickup_address=row.pickup_address,
                pickup_window=row.pickup_window,
                parcels=row.parcels,
                service_s=service.for_order(row.parcels, row.bulky, row.skills),
                address=row.address or (pickup_points[row.pickup_point_id].name if row.pickup_point_id else ""),
                customer_id=row.customer_id,
                tier=row.tier,
                pickup_point_id=row.pickup_point_id,
                first_choice=row.first_choice,
                bulky=row.bulky,
                weight_kg=row.weight_kg,
                volume_l=row.volume_l,
                skills=row.skills,
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
        w = csv_writer(f)
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
                    f"{o.weight_kg:g}" if o.weight_kg else "",
                    f"{o.volume_l:g}" if o.volume_l else "",
                    "|".join(o.skills),
                    windows_label(o.windows) if o.windows else "",
                    "" if o.max_late_s is None else o.max_late_s // 60,
                    "" if o.late_cost_per_min is None else f"{o.late_cost_per_min:g}",
                    "" if o.ready_s is None else hhmm(o.ready_s),
                    o.kind,
                    "" if o.pickup_lat is None else f"{o.pickup_lat:.6f}",
                    "" if o.pickup_lon is None else f"{o.pickup_lon:.6f}",
                    o.pickup_address,
                    "" if o.pickup_window is None else str(o.pickup_window),
                ]
            )
