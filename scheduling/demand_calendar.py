"""The calendar demand depends on: public holidays and promotion days, known in advance.

Holidays come from the maintained ``holidays`` package (public holidays plus the de facto
days off, such as Christmas Eve and Midsummer Eve in Sweden), never from a hand-written list.
Promotions are the shop's own campaign days (Black Friday, pre-Christmas, ...): the planner
knows them weeks ahead, so the forecaster may use them as regressors for future days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

import holidays

PROMOTION_SIZES = ("major", "minor")


@dataclass(frozen=True)
class Promotion:
    """A campaign day. ``size`` is ``"major"`` (Black Friday-like spikes) or ``"minor"``."""

    date: dt.date
    name: str
    size: str = "major"

    def __post_init__(self) -> None:
        if self.size not in PROMOTION_SIZES:
            raise ValueError(f"promotion {self.name} on {self.date}: size '{self.size}' must be one of {PROMOTION_SIZES}")


def public_holidays(country: str, years: Iterable[int]) -> dict[dt.date, str]:
    """Public and de facto holidays of ``country`` (ISO code, e.g. ``"SE"``) in ``years``.

    Ordinary Sundays are not counted as holidays: the weekly pattern already covers them.
    """
    years = sorted(set(years))
    if not years:
        return {}
    try:
        supported = holidays.country_holidays(country).supported_categories
    except NotImplementedError as exc:
        raise ValueError(f"country '{country}' is not known to the holidays package; give an ISO code such as SE") from exc
    categories = tuple(c for c in ("public", "de_facto") if c in supported)
    try:
        # Sweden's calendar can list every Sunday as a holiday; the weekly pattern covers those.
        days = holidays.country_holidays(country, years=years, categories=categories, include_sundays=False)
    except TypeError:
        days = holidays.country_holidays(country, years=years, categories=categories)
    return dict(sorted(days.items()))


@dataclass
class DemandCalendar:
    """Holidays and promotions over a span of dates, as the forecaster's regressors see them."""

    country: str
    promotions: list[Promotion] = field(default_factory=list)
    _holidays: dict[int, dict[dt.date, str]] = field(default_factory=dict, repr=False)

    def holidays_in(self, start: dt.date, end: dt.date) -> dict[dt.date, str]:
        out: dict[dt.date, str] = {}
        for year in range(start.year, end.year + 1):
            if year not in self._holidays:
                self._holidays[year] = public_holidays(self.country, [year])
            out.update({d: n for d, n in self._holidays[year].items() if start <= d <= end})
        return out

    def is_holiday(self, day: dt.date) -> bool:
        return day in self.holidays_in(day, day)

    def promotion_on(self, day: dt.date) -> Promotion | None:
        return next((p for p in self.promotions if p.date == day), None)

    def describe(self, day: dt.date) -> str:
        """A short label for reports: the holiday or promotion name, else ``""``."""
        parts = []
        name = self.holidays_in(day, day).get(day)
        if name:
            parts.append(name)
        promo = self.promotion_on(day)
        if promo:
            parts.append(f"promotion: {promo.name}")
        return "; ".join(parts)
