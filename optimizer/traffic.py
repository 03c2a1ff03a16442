"""Rush hour: travel times that depend on when a van leaves.

A :class:`Traffic` holds the free-flow travel times between the problem's nodes and, for each
time band (the 07:00-09:00 morning peak), the travel times of a van driving in that band
throughout (seconds, (n, n), the band's own fastest paths). A leg's time follows Ichoua,
Gendreau and Potvin (1996): the van covers the leg's free-flow seconds at the speed of the band
it is in, the share ``free / banded`` of free-flow speed, so a leg that starts just before a peak
ends slower, and one begun later never arrives earlier (first in, first out: waiting never
pays). Outside every band the free-flow time holds. :func:`Traffic.leg` is that rule; every
walk (:mod:`optimizer.departure`), the checker and the plan's times use it.

The engines route on one static matrix (:meth:`Traffic.bounding`): for each leg the most it can
take when it starts when it plausibly may (from a stop, between its window opening and its hard
end plus its service; from a depot, over the shift). A plan they find within its windows on
those times is within them on the real ones too (a leg never takes longer than its bound, and
arriving earlier never makes a later stop late), so the bound keeps the engines' plans sound
and the exact walk then times them, leaving later where the peak allows.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TrafficBand:
    """A time band, ``start`` to ``end`` (seconds since midnight), and the travel times (seconds,
    (n, n)) of a van that drives in it throughout."""

    name: str
    start: int
    end: int
    duration: np.ndarray
    factors: tuple[tuple[str, float], ...] = ()  # for the record: road class group -> share of free-flow speed

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"traffic band {self.name}: it ends before it starts")


@dataclass(eq=False)
class Traffic:
    """Time-dependent travel between the problem's nodes (see the module docstring).

    ``free`` is the free-flow travel time (seconds, (n, n)); ``bands`` are sorted and disjoint.
    """

    free: np.ndarray
    bands: tuple[TrafficBand, ...]
    _rates: list[np.ndarray] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.bands = tuple(sorted(self.bands, key=lambda b: b.start))
        for a, b in zip(self.bands, self.bands[1:]):
            if b.start < a.end:
                raise ValueError(f"traffic bands {a.name} and {b.name} overlap")
        free = np.asarray(self.free, dtype=np.float64)
        for band in self.bands:
            banded = np.asarray(band.duration, dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                # the share of free-flow speed in the band; a leg of no time is as fast in any band
                rate = np.where((banded > 0) & (free > 0), free / np.maximum(banded, 1e-9), 1.0)
            self._rates.append(rate)
        # plain lists: indexing them is several times cheaper than numpy scalars in the walk's loop
        self._free_rows = free.tolist()
        self._rate_rows = [rate.tolist() for rate in self._rates]
        self._ends = [b.end for b in self.bands]
        # the longest each leg can take: all of it at its slowest band's pace
        slowest = np.min(self._rates, axis=0) if self._rates else np.ones_like(free)
        self._slowest_leg = np.ceil(free / np.minimum(slowest, 1.0)).tolist()

    @property
    def n(self) -> int:
        return int(self.free.shape[0])

    def leg(self, i: int, j: int, depart: int) -> int:
        """Seconds from ``i`` to ``j`` for a van leaving at ``depart`` (whole seconds, rounded up)."""
        remaining = self._free_rows[i][j]
        if remaining <= 0 or not self.bands:
            return int(remaining)
        k = bisect.bisect_right(self._ends, depart)  # the first band not over at the departure
        if k == len(self.bands) or depart + remaining <= self.bands[k].start:
            return int(remaining)  # free flow all the way (most legs: the bands are a few hours)
        t = float(depart)
        for band, rate in zip(self.bands[k:], self._rate_rows[k:]):
            if t < band.start:  # free flow until the band begins
                if t + remaining <= band.start:
                    return math.ceil(t + remaining - depart - 1e-9)
                remaining -= band.start - t
                t = float(band.start)
            r = rate[i][j]
            if t + remaining / r <= band.end:
                return math.ceil(t + remaining / r - depart - 1e-9)
            remaining -= (band.end - t) * r
            t = float(band.end)
        return math.ceil(t + remaining - depart - 1e-9)

    def bounding(self, earliest: np.ndarray, latest: np.ndarray) -> np.ndarray:
        """(n, n) int seconds: for each leg ``i -> j`` the most it takes leaving ``i`` at any time in
        ``[earliest[i], latest[i]]`` (seconds). A leg's time grows while its start nears a slow
        band and shrinks once it starts inside one, so its most is at an end of the range or at a
        band's start or end inside it: those are the times tried."""
        out = np.asarray(self.free, dtype=np.int64).copy()
        for i in range(self.n):
            lo, hi = int(earliest[i]), int(latest[i])
            for t in self._critical_starts(lo, hi):
                out[i] = np.maximum(out[i], self.legs_from(i, t))
            # That holds while a leg meets one band; one that may run through two (adjacent or
            # close bands) can be slowest where its arrival crosses a band's end, which the times
            # above miss: bound it by the slowest pace of every band it may meet.
            touched = self._bands_met(lo, hi + int(np.max(self._slowest_leg[i], initial=0)))
            if len(touched) > 1:
                slowest = np.min([self._rates[k][i] for k in touched], axis=0)
                out[i] = np.maximum(out[i], np.ceil(np.asarray(self.free[i], dtype=np.float64) / slowest - 1e-9))
        return out

    def _critical_starts(self, lo: int, hi: int) -> list[int]:
        """The starts in ``[lo, hi]`` where a leg meeting one band is slowest: the range's ends and
        the bands' starts and ends inside it."""
        return sorted({lo, hi} | {t for b in self.bands for t in (b.start, b.end) if lo <= t <= hi})

    def _bands_met(self, lo: int, hi: int) -> list[int]:
        """Indices of the bands a leg started in ``[lo, hi]`` and ending by ``hi`` could run in."""
        return [k for k, b in enumerate(self.bands) if b.start < hi and b.end > lo]

    def most(self, i: int, j: int, lo: int, hi: int) -> int:
        """The most leg ``i -> j`` takes leaving at any time in ``[lo, hi]`` (seconds; see :meth:`bounding`)."""
        worst = max([int(self.free[i, j])] + [self.leg(i, j, t) for t in self._critical_starts(lo, hi)])
        touched = self._bands_met(lo, hi + int(self._slowest_leg[i][j]))
        if len(touched) > 1:
            slowest = min(self._rate_rows[k][i][j] for k in touched)
            worst = max(worst, math.ceil(float(self.free[i, j]) / slowest - 1e-9))
        return worst

    def legs_from(self, i: int, depart: int) -> np.ndarray:
        """(n,) int seconds from ``i`` to every node, leaving at ``depart`` (vectorized :meth:`leg`)."""
        remaining = np.asarray(self.free[i], dtype=np.float64).copy()
        done = np.zeros_like(remaining, dtype=bool) | (remaining <= 0)
        arrive = np.where(done, float(depart) + np.maximum(remaining, 0), 0.0)
        t = float(depart)
        for band, rate in zip(self.bands, self._rates):
            if t >= band.end:
                continue
            if t < band.start:
                fits = ~done & (t + remaining <= band.start)
                arrive[fits] = t + remaining[fits]
                done |= fits
                remaining = np.where(done, remaining, remaining - (band.start - t))
                t = float(band.start)
            r = rate[i]
            fits = ~done & (t + remaining / r <= band.end)
            arrive[fits] = t + remaining[fits] / r[fits]
            done |= fits
            remaining = np.where(done, remaining, remaining - (band.end - t) * r)
            t = float(band.end)
        arrive[~done] = t + remaining[~done]
        return np.ceil(arrive - depart - 1e-9).astype(np.int64)


def engine_bound(traffic: Traffic, *, leave: tuple[np.ndarray, np.ndarray], reach: tuple[np.ndarray, np.ndarray],
                 depots: list[int]) -> np.ndarray:
    """The static matrix the engines route a rush-hour day on (seconds, (n, n)).

    ``leave`` is ``(earliest, latest)`` per node: when a van may plausibly leave it (a stop: from
    its window opening plus its service to its hard end plus its service; a depot: its shift).
    A leg out of a depot starts when its first stop needs it, so depot rows are bounded per stop
    instead, from ``reach`` (``(earliest, latest)`` service start per node): leaving between the
    slowest possible drive before the stop opens (a van leaving earlier waits there anyway) and
    its latest start.
    """
    earliest, latest = leave
    out = traffic.bounding(earliest, latest)
    opens, closes = reach
    for d in depots:
        for j in range(traffic.n):
            if j == d:
                continue
            # leaving earlier than the slowest drive before the stop opens only means waiting there
            lo = max(int(earliest[d]), int(opens[j]) - int(traffic._slowest_leg[d][j]))
            hi = max(lo, min(int(latest[d]), int(closes[j])))
            out[d, j] = traffic.most(d, j, lo, hi)
    return out
