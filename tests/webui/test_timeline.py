"""The timeline's layout: one row per van, planned lane (drive, wait, service, drive back),
driven lane from the events, booked slots, late stops marked, and the now-line."""

from __future__ import annotations

from optimizer.domain import TimeWindow
from scenarios.execution.day import DrivenDay, StopState, VehicleState
from scenarios.execution.events import DeliveryEvent
from webui.pages.timeline import LABEL, WIDTH, timeline

H = 3600


def stop(stop_id: str, seq: int, arrival: int, start: int, departure: int, window: tuple[int, int], **kw) -> StopState:
    fields = dict(stop_id=stop_id, vehicle_id="van-1", seq=seq, order_ids=[f"o-{stop_id}"], booking_ids=[],
                  window=TimeWindow(*window), eta_window=None, planned_arrival_s=arrival, planned_start_s=start,
                  planned_departure_s=departure, live_start_s=start, status="planned", arrived_s=None, done_s=None,
                  at_risk=False, address=f"{stop_id} street 1", instructions="", parcels=1, lat=57.7, lon=11.97,
                  pickup_point_id=None)
    fields.update(kw)
    return StopState(**fields)


def day_of(stops: list[StopState], departed_s: int | None = None, events=()) -> DrivenDay:
    van = VehicleState(vehicle_id="van-1", departed_s=departed_s, stops=stops, out_of_service_from_s=None,
                       depot_lat=57.7, depot_lon=11.97, return_leg_s=900, planned_start_s=8 * H, planned_end_s=9 * H + 1200)
    return DrivenDay(date="2026-12-01", plan_id=7, publication_id=1, vehicles={"van-1": van}, events=list(events))


def planned_day() -> DrivenDay:
    return day_of([
        stop("a", 1, 8 * H + 1200, 8 * H + 1200, 8 * H + 1500, (8 * H, 10 * H)),
        # arrives early and waits for its slot, then is served after it closes (planned late)
        stop("b", 2, 8 * H + 2400, 9 * H, 9 * H + 300, (8 * H, 8 * H + 2700)),
    ])


def test_the_planned_lane_is_drive_wait_service_per_stop_and_the_drive_back():
    tl = timeline(planned_day())
    (row,) = tl["rows"]
    assert [b["kind"] for b in row["planned"]] == ["drive", "service", "drive", "wait", "service", "drive"]
    xs = [b["x"] for b in row["planned"]]
    assert xs == sorted(xs), "boxes follow each other in time"
    assert [b.get("stop_id") for b in row["planned"] if b["kind"] == "service"] == ["a", "b"]
    assert row["planned"][-1]["from"] == "09:05" and row["planned"][-1]["to"] == "09:20"  # 15 min back to the depot


def test_a_stop_served_after_its_slot_closes_is_late_and_its_slot_is_drawn():
    row = timeline(planned_day())["rows"][0]
    late = {b["stop_id"]: b["late"] for b in row["planned"] if b["kind"] == "service"}
    assert late == {"a": False, "b": True}
    assert [(s["stop_id"], s["from"], s["to"]) for s in row["slots"]] == [("a", "08:00", "10:00"), ("b", "08:00", "08:45")]
    assert row["late"] == 1


def test_the_axis_spans_whole_hours_and_every_box_lies_inside_the_chart():
    tl = timeline(planned_day())
    assert (tl["t0"], tl["t1"]) == (8 * H, 10 * H)
    assert [h["label"] for h in tl["hours"]] == ["08:00", "09:00", "10:00"]
    row = tl["rows"][0]
    for b in row["planned"] + row["slots"]:
        assert LABEL <= b["x"] and b["x"] + b["w"] <= LABEL + WIDTH + 2.0


def test_the_now_line_is_drawn_on_the_plan_day_and_stretches_the_axis_to_now():
    inside = timeline(planned_day(), now_s=9 * H + 1800)
    assert inside["now"] == {"x": LABEL + WIDTH * 0.75, "label": "09:30"}
    late_evening = timeline(planned_day(), now_s=21 * H)
    assert late_evening["t1"] == 21 * H and late_evening["now"]["label"] == "21:00"
    assert timeline(planned_day(), now_s=None)["now"] is None
    assert timeline(planned_day(), now_s=-5 * H)["now"] is None  # a day still to come


def test_the_driven_lane_shows_what_was_reported_late_in_red_and_the_stops_still_expected():
    events = [DeliveryEvent(id="e1", date="2026-12-01", vehicle_id="van-1", type="departed", at_s=8 * H),
              DeliveryEvent(id="e2", date="2026-12-01", vehicle_id="van-1", type="delivered", at_s=10 * H + 600,
                            stop_id="a", source="dispatcher", reported_by="dispatch")]
    day = day_of([
        stop("a", 1, 8 * H + 1200, 8 * H + 1200, 8 * H + 1500, (8 * H, 10 * H), status="delivered", done_s=10 * H + 600,
             order_status={"o-a": "delivered"}),
        stop("b", 2, 8 * H + 2400, 9 * H, 9 * H + 300, (8 * H, 8 * H + 2700), live_start_s=10 * H + 1500, at_risk=True),
    ], departed_s=8 * H, events=events)
    row = timeline(day, now_s=10 * H + 900)["rows"][0]
    kinds = [(b["kind"], b.get("stop_id"), b.get("late")) for b in row["driven"]]
    assert kinds == [("drive", None, None), ("service", "a", True), ("expected", "b", True)]
    assert row["driven"][1]["status"] == "delivered"
    assert row["done"] == 1 and row["departed"] is True


def test_every_event_is_listed_once_in_recording_order():
    events = [DeliveryEvent(id=f"e{k}", date="2026-12-01", vehicle_id="van-1", type=t, at_s=8 * H + k * 60,
                            stop_id=None if t == "departed" else "a", reason="not_home" if t == "failed" else None)
              for k, t in enumerate(("departed", "arrived", "failed"))]
    rows = timeline(day_of(planned_day().vehicles["van-1"].stops, departed_s=8 * H, events=events))["events"]
    assert [(r["id"], r["type"], r["at"], r["stop"], r["reason"]) for r in rows] == [
        ("e0", "departed", "08:00", "", ""), ("e1", "arrived", "08:01", "#1 a street 1", ""),
        ("e2", "failed", "08:02", "#1 a street 1", "not home")]
