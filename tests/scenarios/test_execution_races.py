"""Two phones (or a phone and the dispatcher) reporting at the same moment: one outcome per
order, one row per event id, whichever transaction wins."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from scenarios.execution import DeliveryEvent, EventRefused, record_event
from scheduling.storage.models import DeliveryEventRow, OutboxEvent
from tests.scenarios.execution_world import DATE, H, M, make_world


def at_once(n, work):
    """Run ``work(i)`` in ``n`` threads released together; their results (or exceptions)."""
    gate = threading.Barrier(n)
    out = [None] * n

    def run(i):
        gate.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def ev(id, type, at_s, stop_id=None, source="driver"):
    return DeliveryEvent(id=id, date=DATE, vehicle_id="V1", type=type, at_s=at_s, stop_id=stop_id, source=source)


def test_the_same_event_sent_twice_at_once_is_recorded_once(database_url):
    w = make_world(database_url)
    results = at_once(4, lambda i: record_event(w.db, "gothenburg", ev("same", "departed", 8 * H)))
    assert sorted(r.duplicate for r in results) == [False, True, True, True]
    with w.db.session() as s:
        assert s.scalar(select(func.count()).select_from(DeliveryEventRow)) == 1


def test_two_outcomes_for_one_stop_at_once_leave_exactly_one(database_url):
    w = make_world(database_url)
    record_event(w.db, "gothenburg", ev("d", "departed", 8 * H))
    record_event(w.db, "gothenburg", ev("a", "arrived", 8 * H + 10 * M, "s1"))
    results = at_once(2, lambda i: record_event(w.db, "gothenburg", ev(f"o{i}", "delivered", 8 * H + 12 * M, "s1")))
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, EventRefused)]
    assert len(won) == 1 and len(lost) == 1 and lost[0].reason == "already_recorded"
    with w.db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "booking.delivered")) == 1
        assert s.scalar(select(func.count()).select_from(DeliveryEventRow)) == 3
