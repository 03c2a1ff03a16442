"""What a customer likes: weekdays, slots and home versus pickup point, learned from their orders.

The model is a pair of smoothed frequency tables and a smoothed share:

* ``slot_share[label]``: how often the customer chose each window (``"18:00-20:00"``);
* ``weekday_share[d]``: how often they ordered on weekday ``d`` (0 = Monday);
* ``pickup_share``: how often they chose a pickup point over the door.

Each is a Dirichlet/Beta posterior mean with the customer's **zone** as prior: a new customer
gets the zone's habits, and their own orders take over as they accumulate (``prior_weight``
pseudo-orders, default 4, so after a dozen orders the customer's own choices dominate).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence


@dataclass(frozen=True)
class PastOrder:
    """One order in a customer's history."""

    weekday: int  # 0 = Monday
    slot_label: str  # "08:00-10:00"
    pickup: bool


@dataclass(frozen=True)
class ZonePrior:
    """The habits of a zone's customers: shares summing to 1 (slot and weekday), and a pickup share."""

    slot_share: Mapping[str, float]
    weekday_share: Sequence[float] = field(default_factory=lambda: [1 / 7] * 7)
    pickup_share: float = 0.15

    @classmethod
    def uniform(cls, slot_labels: Iterable[str], pickup_share: float = 0.15) -> "ZonePrior":
        labels = list(slot_labels)
        return cls({s: 1 / len(labels) for s in labels} if labels else {}, pickup_share=pickup_share)


@dataclass(frozen=True)
class Preferences:
    slot_share: dict[str, float]
    weekday_share: list[float]
    pickup_share: float
    orders_seen: int
    top_slot: str | None
    top_slot_count: int

    def slot_affinity(self, label: str) -> float:
        """0..1: this slot's share relative to the customer's favourite slot."""
        if not self.slot_share:
            return 0.0
        best = max(self.slot_share.values())
        return self.slot_share.get(label, 0.0) / best if best > 0 else 0.0

    def weekday_affinity(self, weekday: int) -> float:
        best = max(self.weekday_share) if self.weekday_share else 0.0
        return self.weekday_share[weekday] / best if best > 0 else 0.0


def learn_preferences(history: Sequence[PastOrder], prior: ZonePrior, *, prior_weight: float = 4.0) -> Preferences:
    """Posterior-mean preferences from ``history`` with ``prior`` worth ``prior_weight`` orders."""
    n = len(history)
    slot_counts = Counter(o.slot_label for o in history)
    labels = set(prior.slot_share) | set(slot_counts)
    slot_share = {s: (prior_weight * prior.slot_share.get(s, 0.0) + slot_counts.get(s, 0)) / (prior_weight + n) for s in labels}
    day_counts = Counter(o.weekday for o in history)
    weekday_share = [(prior_weight * prior.weekday_share[d] + day_counts.get(d, 0)) / (prior_weight + n) for d in range(7)]
    pickups = sum(1 for o in history if o.pickup)
    pickup_share = (prior_weight * prior.pickup_share + pickups) / (prior_weight + n)
    top = slot_counts.most_common(1)
    return Preferences(
        slot_share=slot_share,
        weekday_share=weekday_share,
        pickup_share=pickup_share,
        orders_seen=n,
        top_slot=top[0][0] if top else None,
        top_slot_count=top[0][1] if top else 0,
    )


def zone_priors(
    customers: Iterable[tuple[str, str, float]], slot_labels: Sequence[str], *, smoothing: float = 1.0
) -> dict[str, ZonePrior]:
    """Zone -> prior from ``(zone, preferred slot label, pickup affinity)`` per known customer.

    Laplace ``smoothing`` keeps every slot possible in a zone with few customers.
    """
    by_zone: dict[str, list[tuple[str, float]]] = {}
    for zone, slot, affinity in customers:
        by_zone.setdefault(zone, []).append((slot, affinity))
    out = {}
    for zone, rows in by_zone.items():
        counts = Counter(s for s, _ in rows)
        total = len(rows) + smoothing * len(slot_labels)
        share = {s: (counts.get(s, 0) + smoothing) / total for s in slot_labels}
        out[zone] = ZonePrior(share, pickup_share=sum(a for _, a in rows) / len(rows))
    return out
