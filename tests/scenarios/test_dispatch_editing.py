"""Hand edits as pure operations on route sequences."""

from __future__ import annotations

import pytest

from scenarios.dispatch.editing import Draft, EditError, apply_edit


@pytest.fixture
def draft() -> Draft:
    return Draft({"van-1": ["a", "b", "c"], "van-2": ["d"], "van-3": []}, {"b": "van-1"})


def test_move_to_a_position_on_another_vehicle(draft):
    out = apply_edit(draft, "move", "c", vehicle_id="van-2", position=1)
    assert out.routes == {"van-1": ["a", "b"], "van-2": ["c", "d"], "van-3": []}
    assert draft.routes["van-1"] == ["a", "b", "c"], "the original draft is untouched"


def test_move_without_position_goes_last_and_a_lock_follows_the_stop(draft):
    out = apply_edit(draft, "move", "b", vehicle_id="van-3")
    assert out.routes["van-3"] == ["b"] and out.locks == {"b": "van-3"}


def test_position_past_the_end_means_last(draft):
    assert apply_edit(draft, "move", "a", vehicle_id="van-2", position=99).routes["van-2"] == ["d", "a"]


def test_lock_to_the_current_vehicle_keeps_the_order(draft):
    out = apply_edit(draft, "lock", "c")
    assert out.locks == {"b": "van-1", "c": "van-1"} and out.routes == draft.routes


def test_lock_to_another_vehicle_moves_it_there(draft):
    out = apply_edit(draft, "lock", "d", vehicle_id="van-1")
    assert out.routes["van-1"][-1] == "d" and out.routes["van-2"] == [] and out.locks["d"] == "van-1"


def test_unassign_takes_the_stop_off_and_drops_its_lock(draft):
    out = apply_edit(draft, "unassign", "b")
    assert out.routes["van-1"] == ["a", "c"] and "b" not in out.locks and out.unassigned == ["b"]
    back = apply_edit(out, "move", "b", vehicle_id="van-2", position=1)
    assert back.routes["van-2"] == ["b", "d"] and back.unassigned == []


def test_an_unserved_stop_can_be_put_on_a_route(draft):
    out = apply_edit(draft, "move", "x", vehicle_id="van-3", known_stops=["a", "b", "c", "d", "x"])
    assert out.routes["van-3"] == ["x"]


@pytest.mark.parametrize(
    "action, stop, kw, message",
    [
        ("fly", "a", {}, "action 'fly' is unknown"),
        ("move", "zz", {"vehicle_id": "van-1"}, "not in this plan"),
        ("move", "a", {"vehicle_id": "truck-9"}, "not in the fleet"),
        ("move", "a", {"vehicle_id": "van-2", "position": 0}, "position"),
        ("move", "a", {}, "choose the vehicle"),
        ("unlock", "a", {}, "not locked"),
        ("unassign", "x", {}, "not on any route"),
    ],
)
def test_impossible_edits_say_why(draft, action, stop, kw, message):
    with pytest.raises(EditError, match=message):
        apply_edit(draft, action, stop, known_stops=["x"], **kw)


SKILLS = {"van-1": ("cold_chain",), "van-2": (), "van-3": ("cold_chain", "two_person")}


def test_moving_or_locking_a_stop_onto_a_van_without_its_skill_is_refused_naming_the_skill(draft):
    from scenarios.dispatch.editing import refuse_missing_skills

    moved = apply_edit(draft, "move", "a", vehicle_id="van-2")
    with pytest.raises(EditError, match="stop 'a' needs cold_chain, which van-2 does not have; choose van-1, van-3"):
        refuse_missing_skills(moved, "a", {"a": ("cold_chain",)}, SKILLS)
    refuse_missing_skills(apply_edit(draft, "move", "a", vehicle_id="van-3"), "a", {"a": ("cold_chain",)}, SKILLS)
    locked = apply_edit(draft, "lock", "d", vehicle_id="van-1")
    with pytest.raises(EditError, match="needs two_person, which van-1 does not have; choose van-3"):
        refuse_missing_skills(locked, "d", {"d": ("two_person",)}, SKILLS)


def test_a_stop_needing_a_skill_no_van_has_says_so_when_placed_by_hand(draft):
    from scenarios.dispatch.editing import refuse_missing_skills

    with pytest.raises(EditError, match="installation, which van-1 does not have; no vehicle of the fleet has it"):
        refuse_missing_skills(draft, "a", {"a": ("installation",)}, SKILLS)
