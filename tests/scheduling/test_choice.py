"""The pickup-point choice model: habits anchor, distance, tier and incentives shift."""

from __future__ import annotations

import numpy as np
import pytest

from scheduling.choice import ChoiceParamError, ChoiceParams, best_point, pickup_probability

DEFAULT = ChoiceParams()


def test_a_customer_keeps_their_habit_at_the_distance_they_know():
    p = pickup_probability(350.0, params=DEFAULT, past_share=0.4, past_walk_m=350.0)
    assert p == pytest.approx(0.4)


def test_a_new_customer_gets_the_prior_share_at_the_reference_distance():
    p = pickup_probability(DEFAULT.reference_walk_m, params=DEFAULT)
    assert p == pytest.approx(DEFAULT.prior_share)


def test_closer_points_are_more_attractive_and_beyond_reach_nobody_walks():
    d = np.array([100.0, 300.0, 600.0, 999.0, 1001.0, np.inf])
    p = pickup_probability(d, params=DEFAULT, past_share=0.4, past_walk_m=600.0)
    assert np.all(np.diff(p[:4]) < 0)
    assert p[4] == 0.0 and p[5] == 0.0
    # one km saved multiplies the odds by exp(-walk_per_km)
    odds = lambda q: q / (1 - q)  # noqa: E731
    near = pickup_probability(0.0, params=DEFAULT, past_share=0.4, past_walk_m=1000.0)
    assert odds(near) / odds(0.4) == pytest.approx(np.exp(-DEFAULT.walk_per_km))


def test_tier_and_incentive_shift_the_odds():
    base = pickup_probability(400.0, params=DEFAULT, tier="ordinary")
    gold = pickup_probability(400.0, params=DEFAULT, tier="gold")
    paid = pickup_probability(400.0, params=DEFAULT, tier="ordinary", incentive=25.0)
    assert gold < base < paid
    unknown_tier = pickup_probability(400.0, params=DEFAULT, tier="bronze")
    assert unknown_tier == pytest.approx(base)


def test_vectorised_over_customers_with_and_without_history():
    p = pickup_probability(
        np.array([400.0, 400.0]),
        params=DEFAULT,
        past_share=np.array([0.6, np.nan]),
        past_walk_m=np.array([400.0, np.nan]),
        tier=np.array(["ordinary", "ordinary"]),
    )
    np.testing.assert_allclose(p, [0.6, DEFAULT.prior_share])


def test_parameters_from_the_scenario_mapping():
    params = ChoiceParams.from_mapping({"walk_per_km": -3, "tier_gold": -1.0, "prior_share": 0.1})
    assert params.walk_per_km == -3.0
    assert params.tier_shift["gold"] == -1.0
    assert params.tier_shift["platinum"] == DEFAULT.tier_shift["platinum"]
    assert ChoiceParams.from_mapping({}) == DEFAULT
    assert ChoiceParams.from_mapping(None) == DEFAULT


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"walk_per_kilometre": -2}, "choice.walk_per_kilometre: unknown parameter"),
        ({"prior_share": 1.5}, "choice.prior_share"),
        ({"walk_per_km": 1.0}, "choice.walk_per_km"),
        ({"max_walk_m": 0}, "choice.max_walk_m"),
        ({"asc": "high"}, "choice.asc: 'high' is not a number"),
    ],
)
def test_bad_parameters_are_named(mapping, message):
    with pytest.raises(ChoiceParamError, match=message):
        ChoiceParams.from_mapping(mapping)


def test_best_point_is_the_nearest_open_one():
    walk = np.array([[300.0, 200.0, np.inf], [np.inf, np.inf, np.inf], [900.0, 100.0, 50.0]])
    idx, dist = best_point(walk, open_mask=np.array([True, False, True]))
    np.testing.assert_array_equal(idx, [0, -1, 2])
    np.testing.assert_allclose(dist, [300.0, np.inf, 50.0])
