"""The slot calendar: which delivery windows a zone offers on a date, and until when they can be booked.

A slot is identified by its kind and window, ``home:08:00-10:00``, ``premium:18:00-19:00`` or
``pickup:08:00-12:00``; on a date and in a zone it becomes a capacity counter (see
:mod:`scheduling.capacity_store`). Times are seconds since midnight, local time of the
calendar's ``timezone``.

* ``home`` slots: 2-hour windows at the door, open to every member tier;
* ``premium`` slots: narrower 1-hour windows at the door, only for tiers with the
  ``premium_slots`` privilege (capacity reserved for them);
* ``pickup`` slots: the parcel is in the pickup point by the end of the window.

Booking closes at the **cut-off**: ``cutoff_days_before`` days before the delivery date at
``cutoff_at`` local time (default the evening before at 22:00, when the vans are loaded).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from optimizer.domain import TimeWindow, hhmm, parse_hhmm

SLOT_KINDS = ("home", "premium", "pickup")


def parse_window(text: str) -> TimeWindow:
    """``"08:00-10:00"`` -> ``TimeWindow(28800, 36000)``; ``ValueError`` naming the fix otherwise."""
    start, sep, end = str(text).partition("-")
    if not sep:
        raise ValueError(f"'{text}' is not a time window; write it as HH:MM-HH:MM, for example 08:00-10:00")
    return TimeWindow(parse_hhmm(start), parse_hhmm(end))


@dataclass(frozen=True)
class SlotTemplate:
    """A bookable window of one kind; the same on every open day."""

    kind: str
    window: TimeWindow

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.window}"

    @property
    def label(self) -> str:
        return str(self.window)

    @property
    def duration_s(self) -> int:
        return self.window.end - self.window.start


@dataclass(frozen=True)
class SlotCalendar:
    """Slot templates, default capacities (orders per zone-slot), cut-off and booking horizon."""

    home: tuple[TimeWindow, ...]
    pickup: tuple[TimeWindow, ...]
    premium: tuple[TimeWindow, ...] = ()
    home_capacity: int = 12
    premium_capacity: int = 2
    cutoff_days_before: int = 1
    cutoff_at: int = 22 * 3600
    horizon_days: int = 21
    closed_weekdays: frozenset[int] = field(default_factory=frozenset)  # 0 = Monday
    timezone: str = "Europe/Stockholm"

    def templates(self) -> list[SlotTemplate]:
        return (
            [SlotTemplate("home", w) for w in self.home]
            + [SlotTemplate("premium", w) for w in self.premium]
            + [SlotTemplate("pickup", w) for w in self.pickup]
        )

    def door_templates(self) -> list[SlotTemplate]:
        return [t for t in self.templates() if t.kind != "pickup"]

    def pickup_templates(self) -> list[SlotTemplate]:
        return [t for t in self.templates() if t.kind == "pickup"]

    def template(self, slot_id: str) -> SlotTemplate | None:
        """The template with this id, or ``None`` if the calendar has no such slot."""
        for t in self.templates():
            if t.id == slot_id:
                return t
        return None

    def slot_ids(self) -> list[str]:
        return [t.id for t in self.templates()]

    def default_capacity(self, template: SlotTemplate, pickup_point_capacity: int | None = None) -> int:
        """Orders a zone-slot takes unless the database says otherwise.

        A pickup point's daily parcel capacity is shared evenly over the pickup slots.
        """
        if template.kind == "premium":
            return self.premium_capacity
        if template.kind == "pickup":
            per_day = pickup_point_capacity if pickup_point_capacity is not None else self.home_capacity
            return max(0, per_day // max(1, len(self.pickup)))
        return self.home_capacity

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def cutoff(self, date: dt.date) -> dt.datetime:
        """When booking for ``date`` closes (timezone-aware)."""
        day = date - dt.timedelta(days=self.cutoff_days_before)
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.tz) + dt.timedelta(seconds=self.cutoff_at)

    def past_cutoff(self, date: dt.date, now: dt.datetime) -> bool:
        return now >= self.cutoff(date)

    def local_today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.tz).date()

    def describe_cutoff(self) -> str:
        days = "the day before" if self.cutoff_days_before == 1 else f"{self.cutoff_days_before} days before"
        return f"{days} at {hhmm(self.cutoff_at)}"


def calendar_from_windows(
    home: list[str], pickup: list[str], premium: list[str] | None = None, **options
) -> SlotCalendar:
    """A calendar from window strings such as a scenario's ``slots`` section."""
    return SlotCalendar(
        home=tuple(parse_window(w) for w in home),
        pickup=tuple(parse_window(w) for w in pickup),
        premium=tuple(parse_window(w) for w in (premium or [])),
        **options,
    )
