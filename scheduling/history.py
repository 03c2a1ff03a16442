"""Order history: import a CSV of past deliveries, checked row by row, and count demand from it.

Columns (header names, case-insensitive; order does not matter):

================  ========  ============================================================
column            required  meaning
================  ========  ============================================================
order_id          yes       unique id of the order
delivery_date     yes       the day it was delivered, ``YYYY-MM-DD``
slot              yes       the booked window, ``HH:MM-HH:MM``
zone              one of    the delivery zone id (as the scenario's zones name it) ...
lat, lon          the two   ... or the address in WGS84 degrees, placed in its zone
created_at        no        when it was booked, ISO ``YYYY-MM-DD HH:MM[:SS]``
parcels           no        whole number >= 1 (default 1)
customer_id       no        the customer's id
pickup_point_id   no        set when delivered to a pickup point instead of the address
================  ========  ============================================================

A history is refused as a whole when any row is wrong, and every problem is listed with its
line number (the header is line 1): unreadable fields, duplicated order ids, unknown zones,
deliveries dated in the future (after ``today``) and gaps, i.e. days between the first and the
last date without a single order (pass ``allow_gaps=True`` when the operation was closed).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection, Sequence

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("order_id", "delivery_date", "slot")
OPTIONAL_COLUMNS = ("zone", "lat", "lon", "created_at", "parcels", "customer_id", "pickup_point_id")
HISTORY_COLUMNS = (
    "order_id",
    "created_at",
    "delivery_date",
    "slot",
    "zone",
    "lat",
    "lon",
    "parcels",
    "customer_id",
    "pickup_point_id",
)
PICKUP_PREFIX = "pickup "
MAX_LISTED_GAPS = 1000


class HistoryFileError(ValueError):
    """The history was refused as a whole; ``problems`` has one line per problem."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.source = source
        self.problems = list(problems)
        shown = self.problems[:50]
        more = f"\n... and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(
            f"{source}: {len(self.problems)} problem(s), nothing imported:\n" + "\n".join(shown) + more
        )


def slot_key(slot: str, pickup_point_id: str | None) -> str:
    """The demand bucket of an order: its home slot, or ``"pickup HH:MM-HH:MM"`` at a point."""
    return f"{PICKUP_PREFIX}{slot}" if pickup_point_id else slot


@dataclass
class OrderHistory:
    """Past deliveries, one row per order (columns :data:`HISTORY_COLUMNS`).

    ``delivery_date`` is a pandas datetime (midnight); ``created_at`` may be ``NaT``;
    ``pickup_point_id`` is ``""`` for home deliveries.
    """

    orders: pd.DataFrame

    def __post_init__(self) -> None:
        missing = [c for c in ("order_id", "delivery_date", "slot", "zone") if c not in self.orders.columns]
        if missing:
            raise ValueError(f"order history frame lacks column(s) {missing}")
        df = self.orders
        df["delivery_date"] = pd.to_datetime(df["delivery_date"]).dt.normalize()
        if "pickup_point_id" not in df.columns:
            df["pickup_point_id"] = ""
        df["pickup_point_id"] = df["pickup_point_id"].fillna("").astype(str)
        if "parcels" not in df.columns:
            df["parcels"] = 1

    def __len__(self) -> int:
        return len(self.orders)

    @property
    def zones(self) -> list[str]:
        return sorted(self.orders["zone"].unique().tolist())

    @property
    def first_day(self) -> dt.date:
        return self.orders["delivery_date"].min().date()

    @property
    def last_day(self) -> dt.date:
        return self.orders["delivery_date"].max().date()

    def until(self, last_day: dt.date) -> "OrderHistory":
        """The history as it was known at the end of ``last_day``."""
        return OrderHistory(self.orders[self.orders["delivery_date"] <= pd.Timestamp(last_day)].copy())

    def between(self, first_day: dt.date, last_day: dt.date) -> "OrderHistory":
        """The orders delivered from ``first_day`` to ``last_day`` (both included)."""
        days = self.orders["delivery_date"]
        keep = (days >= pd.Timestamp(first_day)) & (days <= pd.Timestamp(last_day))
        return OrderHistory(self.orders[keep].reset_index(drop=True))

    def first_day_of(self, zone: str) -> dt.date | None:
        days = self.orders.loc[self.orders["zone"] == zone, "delivery_date"]
        return None if days.empty else days.min().date()

    def daily_orders(
        self, zones: Sequence[str] | None = None, start: dt.date | None = None, end: dt.date | None = None
    ) -> pd.DataFrame:
        """Orders per day (rows, a daily DatetimeIndex) and zone (columns); days without orders are 0."""
        zones = list(zones) if zones is not None else self.zones
        start = start or self.first_day
        end = end or self.last_day
        index = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
        counts = self.orders.groupby(["delivery_date", "zone"]).size().unstack("zone")
        return counts.reindex(index=index, columns=zones).fillna(0.0).astype(float)

    def slot_orders(self, zone: str | None = None, since: dt.date | None = None) -> pd.Series:
        """Orders per slot key (see :func:`slot_key`), optionally for one zone and from ``since``."""
        df = self.orders
        if zone is not None:
            df = df[df["zone"] == zone]
        if since is not None:
            df = df[df["delivery_date"] >= pd.Timestamp(since)]
        keys = np.where(df["pickup_point_id"] != "", PICKUP_PREFIX + df["slot"], df["slot"])
        return pd.Series(keys).value_counts().sort_index()

    def to_csv(self, path: Path) -> Path:
        df = self.orders.copy()
        df["delivery_date"] = df["delivery_date"].dt.strftime("%Y-%m-%d")
        if "created_at" in df.columns and pd.api.types.is_datetime64_any_dtype(df["created_at"]):
            df["created_at"] = df["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
        cols = [c for c in HISTORY_COLUMNS if c in df.columns]
        path.parent.mkdir(parents=True, exist_ok=True)
        df[cols].to_csv(path, index=False, float_format="%.6f")
        return path


def _read_text(rows: str | Path, source: str | None) -> tuple[str, str]:
    if isinstance(rows, Path) or (isinstance(rows, str) and "\n" not in rows and rows.endswith(".csv")):
        path = Path(rows)
        source = source or str(path)
        try:
            return path.read_text(encoding="utf-8-sig"), source
        except OSError as exc:
            raise HistoryFileError(source, [f"cannot read the file: {exc.strerror}"]) from exc
    return str(rows).lstrip("\ufeff"), source or "history"


def _parse_slot(text: pd.Series) -> pd.Series:
    """Normalised ``HH:MM-HH:MM`` or NaN where the text is no window."""
    parts = text.str.extract(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
    ok = parts.notna().all(axis=1)
    vals = parts[ok].astype(int)
    start = vals[0] * 60 + vals[1]
    end = vals[2] * 60 + vals[3]
    good = (vals[0] <= 24) & (vals[2] <= 24) & (vals[1] < 60) & (vals[3] < 60) & (end > start) & (end <= 24 * 60)
    out = pd.Series(np.nan, index=text.index, dtype=object)
    good_idx = good[good].index
    out.loc[good_idx] = [
        f"{a:02d}:{b:02d}-{c:02d}:{d:02d}" for a, b, c, d in vals.loc[good_idx].itertuples(index=False)
    ]
    return out


def parse_history(
    rows: str | Path,
    *,
    today: dt.date,
    zones: Collection[str] | None = None,
    zone_of: Callable[[float, float], str | None] | None = None,
    source: str | None = None,
    allow_gaps: bool = False,
) -> OrderHistory:
    """Read and check an order history; raise :class:`HistoryFileError` listing every problem.

    ``rows`` is a CSV path or CSV text. ``zones`` are the known zone ids (``None`` accepts any
    zone text); ``zone_of(lat, lon)`` places rows given by coordinates (``None`` or ``""`` for a
    point outside every zone). ``today``: deliveries after this day are refused as future.
    """
    text, source = _read_text(rows, source)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise HistoryFileError(source, [f"line 1: not a readable CSV file ({exc})"]) from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    problems_at: dict[int, list[str]] = {}

    def flag(mask: pd.Series, message: Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask.to_numpy()):
            problems_at.setdefault(int(i), []).append(message(int(i)))

    header = [
        f"line 1, column {c}: required column is missing; add a '{c}' column to the header"
        for c in REQUIRED_COLUMNS
        if c not in df.columns
    ]
    if "zone" not in df.columns and not {"lat", "lon"} <= set(df.columns):
        header.append("line 1, column zone: give each order's zone, or its lat and lon columns")
    if header:
        raise HistoryFileError(source, header)
    if df.empty:
        raise HistoryFileError(source, ["line 2: the file has a header but no orders"])
    for c in OPTIONAL_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    df = df.apply(lambda s: s.str.strip())
    line = pd.Series(np.arange(len(df)) + 2, index=df.index)

    # order_id: present and unique
    flag(df["order_id"] == "", lambda i: f"line {line[i]}, column order_id: empty; every order needs an id")
    dup = df["order_id"].duplicated(keep="first") & (df["order_id"] != "")
    first_line = df.reset_index().groupby("order_id")["index"].min()
    flag(
        dup,
        lambda i: f"line {line[i]}, column order_id: '{df['order_id'][i]}' repeats line "
        f"{first_line[df['order_id'][i]] + 2}; order ids must be unique",
    )

    # delivery_date: a date, not in the future
    day = pd.to_datetime(df["delivery_date"], format="%Y-%m-%d", errors="coerce")
    flag(
        day.isna(),
        lambda i: f"line {line[i]}, column delivery_date: '{df['delivery_date'][i]}' is not a date; write YYYY-MM-DD",
    )
    future = day > pd.Timestamp(today)
    flag(
        future,
        lambda i: f"line {line[i]}, column delivery_date: {df['delivery_date'][i]} is in the future (after {today}); "
        "the history holds delivered orders only",
    )

    # created_at: optional; when given, a time not after the end of the delivery day nor in the future
    created = pd.to_datetime(df["created_at"].where(df["created_at"] != ""), errors="coerce", format="mixed")
    flag(
        created.isna() & (df["created_at"] != ""),
        lambda i: f"line {line[i]}, column created_at: '{df['created_at'][i]}' is not a time; write YYYY-MM-DD HH:MM",
    )
    late = created.notna() & day.notna() & (created >= day + pd.Timedelta(days=1))
    flag(
        late,
        lambda i: f"line {line[i]}, column created_at: booked {df['created_at'][i]}, after its delivery date "
        f"{df['delivery_date'][i]}",
    )
    created_future = created.notna() & (created >= pd.Timestamp(today) + pd.Timedelta(days=1)) & ~late
    flag(created_future, lambda i: f"line {line[i]}, column created_at: {df['created_at'][i]} is in the future (after {today})")

    # slot
    slot = _parse_slot(df["slot"])
    flag(
        slot.isna(),
        lambda i: f"line {line[i]}, column slot: '{df['slot'][i]}' is not a window; write HH:MM-HH:MM, "
        "for example 18:00-20:00",
    )

    # parcels
    parcels = pd.to_numeric(df["parcels"].replace("", "1"), errors="coerce")
    bad_parcels = parcels.isna() | (parcels < 1) | (parcels != parcels.round())
    flag(
        bad_parcels,
        lambda i: f"line {line[i]}, column parcels: '{df['parcels'][i]}' is not a whole number of parcels >= 1",
    )

    # zone, or lat/lon placed in a zone
    zone = df["zone"].copy()
    lat = pd.to_numeric(df["lat"].replace("", np.nan), errors="coerce")
    lon = pd.to_numeric(df["lon"].replace("", np.nan), errors="coerce")
    by_point = zone == ""
    no_place = by_point & (lat.isna() | lon.isna())
    flag(
        no_place,
        lambda i: f"line {line[i]}, column zone: empty; give the zone, or lat and lon of the address",
    )
    to_place = by_point & ~no_place
    if to_place.any():
        if zone_of is None:
            flag(
                to_place,
                lambda i: f"line {line[i]}, column zone: empty and no zone map to place lat/lon; give the zone id",
            )
        else:
            for i in np.flatnonzero(to_place.to_numpy()):
                zone.iloc[i] = zone_of(float(lat.iloc[i]), float(lon.iloc[i])) or "?"
            outside = to_place & (zone == "?")
            flag(
                outside,
                lambda i: f"line {line[i]}, columns lat/lon: ({lat[i]:.5f}, {lon[i]:.5f}) lies outside every zone",
            )
    if zones is not None:
        known = set(zones)
        named = ", ".join(sorted(known)[:12]) + (", ..." if len(known) > 12 else "")
        unknown = (zone != "") & (zone != "?") & ~zone.isin(known)
        flag(
            unknown,
            lambda i: f"line {line[i]}, column zone: unknown zone '{zone[i]}'; use one of {named}",
        )

    # gaps: days without any order between the first and the last delivery date
    valid_day = day.notna() & ~future
    if not allow_gaps and valid_day.sum() > 1:
        days = day[valid_day]
        present = pd.DatetimeIndex(days.unique()).sort_values()
        steps = present[1:] - present[:-1]
        first_line_of_day = line[valid_day].groupby(days).min()
        gap_problems = []
        for after, step in zip(present[1:], steps):
            missing = step.days - 1
            if missing <= 0:
                continue
            start = (after - pd.Timedelta(days=missing)).date()
            end = (after - pd.Timedelta(days=1)).date()
            span = f"{start}" if missing == 1 else f"the {missing} days {start} .. {end}"
            gap_problems.append(
                (
                    int(first_line_of_day[after]),
                    f"line {int(first_line_of_day[after])}, column delivery_date: a gap: no orders on {span} before "
                    f"{after.date()}; add the missing days' orders (or import with allow_gaps if the operation was closed)",
                )
            )
        for ln, message in gap_problems[:MAX_LISTED_GAPS]:
            problems_at.setdefault(ln - 2, []).append(message)

    if problems_at:
        problems = [p for i in sorted(problems_at) for p in problems_at[i]]
        raise HistoryFileError(source, problems)

    orders = pd.DataFrame(
        {
            "order_id": df["order_id"],
            "created_at": created,
            "delivery_date": day,
            "slot": slot.astype(str),
            "zone": zone,
            "lat": lat,
            "lon": lon,
            "parcels": parcels.astype(int),
            "customer_id": df["customer_id"],
            "pickup_point_id": df["pickup_point_id"],
        }
    )
    return OrderHistory(orders.reset_index(drop=True))
