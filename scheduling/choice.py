"""Will a customer collect at a pickup point instead of having the parcel brought home?

A binary logit model. For customer ``i`` and a point at walking distance ``d`` (metres)::

    V = asc + habit * logit(h) + walk_per_km * (d - d_ref) / 1000 + tier_<t> + incentive_per_currency * incentive
    P(pickup) = 1 / (1 + exp(-V)),  and 0 when d > max_walk_m

``h`` is the customer's own past pickup share and ``d_ref`` the walking distance at which it
was observed (to the point they used). A customer without history gets ``h = prior_share`` and
``d_ref = reference_walk_m``. With every other term at zero the model returns the past share:
customers keep their habits, and a closer (farther) point shifts the odds by
``exp(walk_per_km)`` per kilometre saved (added). ``incentive`` is a discount for choosing the
point, in the scenario currency.

Parameters come from the scenario file's ``choice:`` mapping; the defaults and where they come
from are in ``docs/pickup-points.md``. Everything here is pure numpy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Mapping, Sequence

import numpy as np


class ChoiceParamError(ValueError):
    """A ``choice:`` parameter that cannot be used; the message names the key and the fix."""


# Tier shifts: members with free home delivery (fee waiver) have less reason to walk.
DEFAULT_TIER_SHIFT: dict[str, float] = {"ordinary": 0.0, "silver": 0.0, "gold": -0.3, "platinum": -0.6}


@dataclass(frozen=True)
class ChoiceParams:
    """Logit parameters (utility units unless stated)."""

    asc: float = 0.0  # shift for every customer, e.g. a market-wide adoption trend
    habit: float = 1.0  # weight of the log-odds of the customer's own past pickup share
    walk_per_km: float = -2.0  # per km of walking (one way) beyond the reference distance
    incentive_per_currency: float = 0.04  # per currency unit of discount for choosing the point
    prior_share: float = 0.2  # past share assumed for a customer with no pickup history
    reference_walk_m: float = 400.0  # walking distance behind prior_share, metres
    max_walk_m: float = 1000.0  # beyond this nobody walks to the point, metres
    tier_shift: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TIER_SHIFT))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, float] | None) -> "ChoiceParams":
        """Read the scenario's ``choice:`` mapping; tier shifts are keys ``tier_<name>``.

        Unknown keys and impossible values raise :class:`ChoiceParamError` naming ``choice.<key>``.
        """
        mapping = dict(mapping or {})
        names = {f.name for f in fields(cls)} - {"tier_shift"}
        values: dict[str, float] = {}
        tiers = dict(DEFAULT_TIER_SHIFT)
        for key, raw in mapping.items():
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise ChoiceParamError(f"choice.{key}: '{raw}' is not a number") from None
            if not np.isfinite(value):
                raise ChoiceParamError(f"choice.{key}: must be a finite number, got {raw}")
            if key.startswith("tier_") and len(key) > 5:
                tiers[key[5:]] = value
            elif key in names:
                values[key] = value
            else:
                known = ", ".join(sorted(names | {"tier_<name>"}))
                raise ChoiceParamError(f"choice.{key}: unknown parameter; use one of {known}")
        params = cls(**values, tier_shift=tiers)
        params.validate()
        return params

    def validate(self) -> None:
        if not 0.0 < self.prior_share < 1.0:
            raise ChoiceParamError(f"choice.prior_share: {self.prior_share} must be strictly between 0 and 1")
        if self.max_walk_m <= 0:
            raise ChoiceParamError(f"choice.max_walk_m: {self.max_walk_m} must be more than 0 metres")
        if self.reference_walk_m < 0:
            raise ChoiceParamError(f"choice.reference_walk_m: {self.reference_walk_m} must be 0 metres or more")
        if self.walk_per_km > 0:
            raise ChoiceParamError(
                f"choice.walk_per_km: {self.walk_per_km} would make a farther point more attractive; give a value <= 0"
            )
        if self.habit < 0:
            raise ChoiceParamError(f"choice.habit: {self.habit} must be 0 or more")

    def to_dict(self) -> dict:
        return asdict(self)


# Past shares are clipped before the log-odds so that "never" and "always" stay changeable.
_SHARE_CLIP = 0.02


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _SHARE_CLIP, 1.0 - _SHARE_CLIP)
    return np.log(p / (1.0 - p))


def utility(
    walk_m: np.ndarray | Sequence[float] | float,
    *,
    params: ChoiceParams,
    past_share: np.ndarray | Sequence[float] | float | None = None,
    past_walk_m: np.ndarray | Sequence[float] | float | None = None,
    tier: np.ndarray | Sequence[str] | str = "ordinary",
    incentive: np.ndarray | Sequence[float] | float = 0.0,
) -> np.ndarray:
    """Systematic utility of the pickup point over home delivery (see the module docstring).

    ``past_share`` NaN (or ``None``) means no history: ``prior_share`` and ``reference_walk_m``
    apply. Arrays broadcast against each other.
    """
    d = np.asarray(walk_m, dtype=float)
    h = np.asarray(np.nan if past_share is None else past_share, dtype=float)
    ref = np.asarray(np.nan if past_walk_m is None else past_walk_m, dtype=float)
    new = np.isnan(h) | np.isnan(ref) | np.isinf(ref)
    h = np.where(new, params.prior_share, h)
    ref = np.where(new, params.reference_walk_m, ref)
    tiers = np.asarray(tier).astype(str)
    names, inverse = np.unique(tiers, return_inverse=True)
    shift = np.array([params.tier_shift.get(t, 0.0) for t in names], dtype=float)[inverse].reshape(tiers.shape)
    with np.errstate(invalid="ignore"):
        walk_term = params.walk_per_km * (d - ref) / 1000.0
    return (
        params.asc
        + params.habit * _logit(h)
        + walk_term
        + shift
        + params.incentive_per_currency * np.asarray(incentive, dtype=float)
    )


def pickup_probability(
    walk_m: np.ndarray | Sequence[float] | float,
    *,
    params: ChoiceParams,
    past_share: np.ndarray | Sequence[float] | float | None = None,
    past_walk_m: np.ndarray | Sequence[float] | float | None = None,
    tier: np.ndarray | Sequence[str] | str = "ordinary",
    incentive: np.ndarray | Sequence[float] | float = 0.0,
) -> np.ndarray:
    """Probability in [0, 1] of choosing the point at ``walk_m`` metres over home delivery.

    Zero where the point is farther than ``max_walk_m`` or unreachable on foot (``inf``/NaN).
    """
    v = utility(walk_m, params=params, past_share=past_share, past_walk_m=past_walk_m, tier=tier, incentive=incentive)
    d = np.broadcast_to(np.asarray(walk_m, dtype=float), v.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        p = 1.0 / (1.0 + np.exp(-v))
    reachable = np.isfinite(d) & (d <= params.max_walk_m)
    return np.where(reachable, np.nan_to_num(p, nan=0.0), 0.0)


def best_point(walk_m: np.ndarray, open_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's nearest open point on foot: ``(index, metres)``; index -1 when none is reachable.

    ``walk_m`` is (customers, points); ``open_mask`` (points,) selects the open points.
    """
    w = np.asarray(walk_m, dtype=float)
    if open_mask is not None:
        w = np.where(np.asarray(open_mask, dtype=bool)[None, :], w, np.inf)
    if w.shape[1] == 0:
        return np.full(w.shape[0], -1), np.full(w.shape[0], np.inf)
    idx = np.argmin(w, axis=1)
    dist = w[np.arange(w.shape[0]), idx]
    idx = np.where(np.isfinite(dist), idx, -1)
    return idx, dist
