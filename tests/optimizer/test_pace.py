"""The machine's pace: how much slower than the reference machine pure Python runs here."""

from __future__ import annotations

from optimizer.engine import pace


def test_the_pace_is_the_best_timing_over_the_reference(monkeypatch):
    timings = iter([0.030, 0.027, 0.040, 0.028, 0.029])
    monkeypatch.setattr(pace, "_loop", lambda: next(timings))
    pace.machine_pace.cache_clear()
    try:
        assert pace.machine_pace() == 0.027 / pace.REFERENCE_S  # twice as slow as the reference
    finally:
        pace.machine_pace.cache_clear()


def test_the_pace_is_bounded_so_one_odd_timing_cannot_starve_or_bloat_the_reserve(monkeypatch):
    for timing, bound in ((100.0, 4.0), (1e-9, 0.25)):
        monkeypatch.setattr(pace, "_loop", lambda: timing)
        pace.machine_pace.cache_clear()
        assert pace.machine_pace() == bound
    pace.machine_pace.cache_clear()


def test_this_machine_has_a_pace():
    assert 0.25 <= pace.machine_pace() <= 4.0
