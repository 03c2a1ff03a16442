"""The day page's timeline: one row per van, planned and driven, laid out for an SVG.

:func:`timeline` turns a :class:`scenarios.execution.day.DrivenDay` into boxes with ``x``/``w``
in SVG user units (the chart is :data:`WIDTH` units wide after a :data:`LABEL` column). All the
times it reads are seconds since midnight of the plan date (local); the layout computes no
domain facts of its own: driving is the gap from one stop's planned departure to the next
stop's planned arrival, waiting the gap from arrival to service start, service the rest.

Each van's row has three lanes: planned (drive, wait, service, the drive back), driven (what
the events say: service from arrival to done, and for a van on the road the expected service
of the stops still ahead, dashed) and the booked slot of each stop (faint; the page's script
highlights the selected stop's slot). ``late`` marks a stop served after its slot closes
(planned), reported after it closed (driven) or expected after it (``at_risk``).
"""

from __future__ import annotations

from typing import Mapping

LABEL = 96
WIDTH = 960
ROW_H = 48
LANE_H = 13
AXIS_H = 22
MIN_BOX = 2.0  # narrowest box drawn, SVG units: a 2-minute service stays clickable


def hhmm(seconds: int) -> str:
    """``HH:MM`` of seconds since midnight (hours past 24 for a late return)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _span(vehicles, now_s: int | None) -> tuple[int, int]:
    times: list[int] = []
    for v in vehicles:
        times += [v.planned_start_s, v.planned_end_s]
        if v.departed_s is not None:
            times.append(v.departed_s)
        for s in v.stops:
            times += [s.planned_arrival_s, s.planned_departure_s, s.window.start, s.window.end, s.live_start_s]
            times += [t for t in (s.arrived_s, s.done_s) if t is not None]
    times = [t for t in times if 0 <= t <= 36 * 3600]
    if not times:
        return 8 * 3600, 18 * 3600
    lo, hi = min(times), max(times)
    if now_s is not None and 0 <= now_s <= 27 * 3600:  # the plan's own day (until 03:00 after it)
        lo, hi = min(lo, now_s), max(hi, now_s)
    lo = lo // 3600 * 3600
    hi = max(lo + 3600, -(-hi // 3600) * 3600)
    return lo, hi


def timeline(day, *, now_s: int | None = None, colour_of: Mapping[str, str] | None = None) -> dict:
    """The SVG layout of ``day`` (see the module docstring); ``now_s`` draws the now-line."""
    colour_of = colour_of or {}
    vehicles = [v for v in day.vehicles.values() if v.stops]
    t0, t1 = _span(vehicles, now_s)
    scale = WIDTH / (t1 - t0)

    def x(t: int) -> float:
        return round(LABEL + (min(max(t, t0), t1) - t0) * scale, 1)

    def box(kind: str, a: int, b: int, **extra) -> dict:
        left = x(a)
        return {"kind": kind, "x": left, "w": round(max(x(b) - left, MIN_BOX), 1), "from": hhmm(a), "to": hhmm(b), **extra}

    rows = []
    for k, v in enumerate(vehicles):
        y = AXIS_H + k * ROW_H
        planned, driven, slots = [], [], []
        prev = v.planned_start_s
        for s in v.stops:
            stop = {"stop_id": s.stop_id, "seq": s.seq, "address": s.address, "slot": f"{hhmm(s.window.start)}–{hhmm(s.window.end)}"}
            if s.planned_arrival_s > prev:
                planned.append(box("drive", prev, s.planned_arrival_s))
            if s.planned_start_s > s.planned_arrival_s:
                planned.append(box("wait", s.planned_arrival_s, s.planned_start_s))
            planned.append(box("service", s.planned_start_s, max(s.planned_departure_s, s.planned_start_s + 60),
                               late=s.planned_start_s > s.window.end, **stop))
            prev = s.planned_departure_s
            slots.append(box("slot", s.window.start, s.window.end, **stop))
        if v.return_leg_s:
            planned.append(box("drive", prev, prev + v.return_leg_s))
        # What the events say, in the order it happened.
        service_s = {s.stop_id: max(60, s.planned_departure_s - s.planned_start_s) for s in v.stops}
        reached = sorted((s for s in v.stops if s.arrived_s is not None or s.done_s is not None),
                         key=lambda s: s.arrived_s if s.arrived_s is not None else s.done_s)
        last_end = v.departed_s
        for s in reached:
            start = s.arrived_s if s.arrived_s is not None else s.done_s
            end = s.done_s if s.done_s is not None else start + service_s[s.stop_id]
            if last_end is not None and start > last_end:
                driven.append(box("drive", last_end, start))
            driven.append(box("service", start, max(end, start + 60), status=s.status, late=start > s.window.end,
                              stop_id=s.stop_id, seq=s.seq, address=s.address,
                              slot=f"{hhmm(s.window.start)}–{hhmm(s.window.end)}"))
            last_end = max(end, last_end or end)
        if v.departed_s is not None:
            for s in v.stops:
                if s.status == "planned":
                    driven.append(box("expected", s.live_start_s, s.live_start_s + service_s[s.stop_id], late=s.at_risk,
                                      stop_id=s.stop_id, seq=s.seq, address=s.address,
                                      slot=f"{hhmm(s.window.start)}–{hhmm(s.window.end)}"))
        if v.out_of_service_from_s is not None:
            driven.append(box("outage", v.out_of_service_from_s, t1))
        rows.append({
            "vehicle_id": v.vehicle_id, "colour": colour_of.get(v.vehicle_id, "#4a78b0"), "y": y,
            "departed": v.departed_s is not None,
            "planned": planned, "driven": driven, "slots": slots,
            "done": sum(1 for s in v.stops if s.status in ("delivered", "failed")), "stops": len(v.stops),
            "late": sum(1 for b in planned + driven if b.get("late")),
            "stop_choices": [{"stop_id": s.stop_id, "seq": s.seq, "address": s.address, "status": s.status} for s in v.stops],
        })
    hours = [{"x": x(t), "label": hhmm(t)} for t in range(t0, t1 + 1, 3600)]
    labels = {s.stop_id: f"#{s.seq} {s.address or s.stop_id}" for v in day.vehicles.values() for s in v.stops}
    return {
        "t0": t0, "t1": t1, "label_w": LABEL, "width": LABEL + WIDTH + 8, "height": AXIS_H + len(rows) * ROW_H + 4,
        "row_h": ROW_H, "lane_h": LANE_H, "hours": hours, "rows": rows,
        "now": {"x": x(now_s), "label": hhmm(now_s)} if now_s is not None and t0 <= now_s <= t1 else None,
        "events": [_event_row(e, labels) for e in day.events],
        "plan_id": day.plan_id,
    }


def _event_row(e, labels: Mapping[str, str]) -> dict:
    return {"id": e.id, "at": hhmm(e.at_s), "vehicle_id": e.vehicle_id, "stop_id": e.stop_id or "",
            "stop": labels.get(e.stop_id, e.stop_id or "") if e.stop_id else "", "type": e.type,
            "reason": (e.reason or "").replace("_", " "), "source": e.source, "reported_by": e.reported_by,
            "order_id": e.order_id or ""}
