"""Scenario files: the built-in Gothenburg scenario loads, and bad files are refused by field."""

import datetime as dt
import shutil

import pytest

from scenarios.dayorders import generate_day, orders_for_day
from scenarios.scenario import ScenarioError, load_scenario


@pytest.fixture(scope="module")
def gothenburg_scenario():
    return load_scenario("gothenburg")


def test_builtin_scenario_has_fleet_customers_and_pickup_points(gothenburg_scenario):
    sc = gothenburg_scenario
    vans = [v for v in sc.vehicles() if v.profile == "drive"]
    assert len(vans) == 8 and all(v.shift.start == 8 * 3600 and v.shift.end == 20 * 3600 for v in vans)
    assert len(sc.vehicles()) == 10  # and two cargo bikes
    assert len(sc.customers) >= 1000
    assert len(sc.active_pickup_points()) >= 3
    assert {c.tier for c in sc.customers} == set(sc.spec.tiers)


def test_a_weekday_has_about_300_orders_and_the_same_seed_gives_the_same_day(gothenburg_scenario):
    day = dt.date(2026, 11, 24)
    a = generate_day(gothenburg_scenario, day)
    b = generate_day(gothenburg_scenario, day)
    assert a == b
    assert 280 <= len(a) <= 320
    assert len(a) == orders_for_day(gothenburg_scenario, day)
    assert generate_day(gothenburg_scenario, dt.date(2026, 11, 25)) != a


def test_generated_orders_book_the_scenarios_slots_and_some_pickup_points(gothenburg_scenario):
    orders = generate_day(gothenburg_scenario, dt.date(2026, 11, 24))
    home = {str(w) for w in gothenburg_scenario.home_slots()}
    pickup = {str(w) for w in gothenburg_scenario.pickup_slots()}
    assert all(str(o.window) in (pickup if o.pickup_point_id else home) for o in orders)
    share = sum(o.pickup_point_id is not None for o in orders) / len(orders)
    assert 0.05 <= share <= 0.3
    assert all(o.service_s > 0 for o in orders if not o.pickup_point_id)


def copy_scenario(tmp_path, edit):
    folder = tmp_path / "sc"
    shutil.copytree(load_scenario("gothenburg").folder, folder)
    text = (folder / "scenario.yaml").read_text()
    (folder / "scenario.yaml").write_text(edit(text))
    return folder


def test_a_fleet_at_an_unknown_depot_is_refused_naming_the_field(tmp_path):
    folder = copy_scenario(tmp_path, lambda t: t.replace("depot: ringon", "depot: nowhere"))
    with pytest.raises(ScenarioError, match=r"field fleet\.0\.depot: 'nowhere' is not a depot id"):
        load_scenario(folder)


def test_a_bad_shift_and_unknown_fields_are_refused(tmp_path):
    folder = copy_scenario(tmp_path, lambda t: t.replace('shift: "08:00-20:00"', 'shift: "8 to 8"\n    colour: red'))
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    text = str(err.value)
    assert "fleet.0.shift" in text and "HH:MM-HH:MM" in text
    assert "fleet.0.colour" in text


def test_an_unknown_scenario_lists_the_builtin_ones():
    with pytest.raises(ScenarioError, match="gothenburg"):
        load_scenario("atlantis")


def test_vans_carry_a_weight_and_volume_capacity_and_installation_has_its_own_time(gothenburg_scenario):
    van = gothenburg_scenario.vehicles()[0]
    assert (van.weight_capacity_kg, van.volume_capacity_l, van.skills) == (1100, 10500, ())
    assert gothenburg_scenario.service_times().installation_s == 1800


def test_fleet_skills_are_read_and_an_unknown_skill_is_refused_naming_the_field(tmp_path):
    with_skills = copy_scenario(tmp_path, lambda t: t.replace("    count: 8\n", "    count: 8\n    skills: [cold_chain, two_person]\n"))
    assert load_scenario(with_skills).vehicles()[0].skills == ("cold_chain", "two_person")
    (tmp_path / "sc").rename(tmp_path / "first")
    unknown = copy_scenario(tmp_path, lambda t: t.replace("    count: 8\n", "    count: 8\n    skills: [crane]\n"))
    with pytest.raises(ScenarioError, match=r"fleet\.0\.skills: .*unknown skill 'crane'; use one of two_person"):
        load_scenario(unknown)


def test_a_weight_capacity_of_zero_is_refused_naming_the_field(tmp_path):
    folder = copy_scenario(tmp_path, lambda t: t.replace("weight_capacity_kg: 1100", "weight_capacity_kg: 0"))
    with pytest.raises(ScenarioError, match=r"fleet\.0\.weight_capacity_kg"):
        load_scenario(folder)


def test_a_tier_may_allow_lateness_at_a_cost_per_minute_and_a_negative_one_is_refused(tmp_path):
    soft = copy_scenario(tmp_path, lambda t: t.replace("ordinary: {drop_penalty: 2000, share: 0.70}",
                                                       "ordinary: {drop_penalty: 2000, share: 0.70, max_late_min: 15, "
                                                       "late_cost_per_min: 1.5}"))
    lateness = load_scenario(soft).tier_lateness()
    assert lateness["ordinary"] == (900, 1.5) and lateness["gold"] == (0, 0.0)  # left out: a hard window
    (tmp_path / "sc").rename(tmp_path / "first")
    bad = copy_scenario(tmp_path, lambda t: t.replace("gold:     {drop_penalty: 5000,",
                                                      "gold:     {drop_penalty: 5000, max_late_min: -5,"))
    with pytest.raises(ScenarioError, match=r"tiers\.gold\.max_late_min"):
        load_scenario(bad)


def without_default_breaks(text: str) -> str:
    """The scenario text without the default fleet's ``breaks:`` line (a second one would be a
    duplicate YAML key, and the later one wins)."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("breaks:"))


def without_bikes(text: str) -> str:
    """The scenario text without the default cargo-bike fleet group (for tests of the vans alone)."""
    lines, out, skipping = text.splitlines(keepends=True), [], False
    for line in lines:
        if line.startswith("  - id_prefix: bike"):
            skipping = True
            continue
        if skipping and not line.startswith("    "):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


def test_without_bikes_leaves_the_vans_alone(gothenburg_scenario, tmp_path):
    folder = copy_scenario(tmp_path, without_bikes)
    assert [v.id for v in load_scenario(folder).vehicles()] == [v.id for v in gothenburg_scenario.vehicles()
                                                                if v.profile == "drive"]


def test_the_default_vans_take_a_30_minute_lunch_between_11_and_14(gothenburg_scenario):
    (lunch,) = gothenburg_scenario.vehicles()[0].breaks
    assert (lunch.duration_s, str(lunch.window)) == (1800, "11:00-14:00")


def test_drivers_breaks_and_overtime_are_read_from_the_fleet(tmp_path):
    folder = copy_scenario(tmp_path, lambda t: without_default_breaks(t).replace(
        "    count: 8\n", "    count: 8\n    breaks: [{duration_min: 30, within: \"11:00-14:00\"}]\n"
                         "    normal_route_h: 8\n    max_route_h: 10\n    overtime_cost_per_hour: 160\n"))
    van = load_scenario(folder).vehicles()[0]
    assert [(b.duration_s, str(b.window)) for b in van.breaks] == [(1800, "11:00-14:00")]
    assert (van.normal_route_s, van.max_route_s, van.overtime_cost_per_hour) == (8 * 3600, 10 * 3600, 160)


@pytest.mark.parametrize("fleet_lines, message", [
    ('    breaks: [{duration_min: 120, within: "10:00-12:00"}]\n    shift: "10:00-12:00"\n',
     r"fleet\.0.*breaks\[0\].*as long as the shift 10:00-12:00"),
    ('    breaks: [{duration_min: 90, within: "11:00-12:00"}]\n', r"fleet\.0\.breaks\.0.*does not fit within 11:00-12:00"),
    ('    breaks: [{duration_min: 30, within: "lunch"}]\n', r"fleet\.0\.breaks\.0\.within.*HH:MM-HH:MM"),
    ('    breaks: [{duration_min: 30, within: "21:00-23:00"}]\n', r"breaks\[0\]: within 21:00-23:00 lies outside the shift"),
    ("    normal_route_h: 9\n    max_route_h: 8\n", r"normal_route_h \(9.0\) is above max_route_h"),
    ("    overtime_cost_per_hour: 100\n", r"overtime_cost_per_hour needs normal_route_h"),
])
def test_a_break_or_overtime_that_cannot_work_is_refused_naming_the_field(tmp_path, fleet_lines, message):
    def edit(text):
        text = without_default_breaks(text)
        if "shift:" in fleet_lines:
            text = text.replace('    shift: "08:00-20:00"\n', "")
        return text.replace("    count: 8\n", "    count: 8\n" + fleet_lines)

    folder = copy_scenario(tmp_path, edit)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(folder)


def test_an_unknown_street_profile_is_refused_naming_the_field(tmp_path):
    folder = copy_scenario(tmp_path, lambda t: t.replace("profile: cycle", "profile: tram"))
    with pytest.raises(ScenarioError, match=r"fleet\.1\.profile: .*unknown street profile 'tram'; use one of drive, cycle"):
        load_scenario(folder)


def test_rush_hour_bands_are_read_and_bad_ones_refused_naming_the_field(tmp_path):
    folder = copy_scenario(tmp_path / "a", lambda t: t.replace("motorway: 0.55,", "ringroad: 0.55,"))
    with pytest.raises(ScenarioError, match=r"traffic\.0\.factors: .*unknown road class group 'ringroad'; use motorway"):
        load_scenario(folder)
    folder = copy_scenario(tmp_path / "b", lambda t: t.replace("motorway: 0.55,", "motorway: 0,"))
    with pytest.raises(ScenarioError, match=r"traffic\.0\.factors: .*motorway: 0.0 is not a share of free-flow speed"):
        load_scenario(folder)
    folder = copy_scenario(tmp_path / "c", lambda t: t.replace('within: "15:30-17:30"', 'within: "08:30-10:00"'))
    with pytest.raises(ScenarioError, match=r"the bands morning \(07:00-09:00\) and afternoon \(08:30-10:00\) overlap"):
        load_scenario(folder)


def test_the_default_city_hands_overflow_to_a_parcel_network_only_when_the_fleet_is_full(gothenburg_scenario):
    (carrier,) = gothenburg_scenario.carriers()
    assert (carrier.kind, carrier.price_per_parcel, carrier.daily_limit, carrier.overflow_only) == ("3pl", 149, 40, True)
