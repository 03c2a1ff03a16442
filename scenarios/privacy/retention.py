"""The retention run: anonymize what is older than the scenario's ``retention.personal_days``,
delete anonymized history older than ``retention.history_days``.

Run by ``lastmile retention run`` and once a day by ``lastmile serve``. Days are local calendar
dates of the slot calendar. A day is anonymized whole and once: its bookings lose their personal
fields (:mod:`scheduling.privacy.anonymize`) and its saved plans are anonymized after the street
legs its actual scorecard uses were kept (:mod:`.plans`), so the day's scorecard, the counts per
zone, date and slot the forecast reads, and the on-time rate stay as they were. A profile not
refreshed by a booking within ``personal_days`` is deleted too. Past ``history_days`` a day's
bookings, feedback, delivery events and shop events are deleted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from scheduling import audit
from scheduling.booking_setup import BookingSetup
from scheduling.privacy.anonymize import anonymize_bookings, pseudonym
from scheduling.storage import Database
from scheduling.storage.models import Booking, CustomerProfile, DeliveryEventRow, Feedback, OutboxEvent
from scenarios.privacy.places import zone_places
from scenarios.privacy.plans import freeze_legs, scrub_day_plans
from scenarios.scenario import Scenario


@dataclass
class RetentionReport:
    personal_before: str  # bookings dated before this were anonymized
    history_before: str  # anonymized bookings dated before this were deleted
    days_anonymized: list[str] = field(default_factory=list)
    bookings_anonymized: int = 0
    plans_changed: int = 0
    legs_kept: int = 0
    profiles_deleted: int = 0
    bookings_deleted: int = 0
    rows_changed: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def summary(self) -> str:
        return (f"anonymized {self.bookings_anonymized} bookings of {len(self.days_anonymized)} days before {self.personal_before} "
                f"and {self.plans_changed} saved plans; deleted {self.profiles_deleted} stale profiles and "
                f"{self.bookings_deleted} bookings before {self.history_before}; {self.rows_changed} rows changed")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def retention_run(db: Database, scenario: Scenario, setup: BookingSetup, network, *, actor: str = "cli") -> RetentionReport:
    """Anonymize and delete what the scenario's retention no longer allows; what was changed."""
    spec = scenario.spec.retention
    today = setup.calendar.local_today(setup.now())
    personal_before = (today - dt.timedelta(days=spec.personal_days)).isoformat()
    history_before = (today - dt.timedelta(days=spec.history_days)).isoformat()
    report = RetentionReport(personal_before, history_before)
    now = _utcnow()
    with db.session() as s:
        dates = sorted(set(s.scalars(select(Booking.date).where(Booking.date < personal_before, Booking.anonymized_at.is_(None))).all()))
    zones = zone_places(setup) if dates else {}
    for date in dates:
        with db.session() as s:
            ids = set(s.scalars(select(Booking.id).where(Booking.date == date, Booking.anonymized_at.is_(None))).all())
        plan_id, legs = freeze_legs(db, scenario, date, ids, network, whole_rows=False)
        with db.session() as s:  # one day, one transaction: a run stopped half-way leaves whole days
            names = {i: pseudonym() for i in ids}
            plans = scrub_day_plans(s, scenario.name, date, ids, zones, names, legs, plan_id)
            rows = anonymize_bookings(s, ids, zones, now)
        report.days_anonymized.append(date)
        report.bookings_anonymized += len(ids)
        report.plans_changed += plans.plans_changed
        report.legs_kept += plans.legs_kept
        report.rows_changed += rows + plans.plans_changed
    stale = now - dt.timedelta(days=spec.personal_days)
    with db.session() as s:
        report.profiles_deleted = s.execute(delete(CustomerProfile).where(CustomerProfile.updated_at < stale)).rowcount
        old = select(Booking.id).where(Booking.date < history_before, Booking.anonymized_at.is_not(None))
        for table, column in ((Feedback, Feedback.booking_id), (DeliveryEventRow, DeliveryEventRow.booking_id),
                              (OutboxEvent, OutboxEvent.booking_id)):
            report.rows_changed += s.execute(delete(table).where(column.in_(old)).execution_options(synchronize_session=False)).rowcount
        report.bookings_deleted = s.execute(
            delete(Booking).where(Booking.date < history_before, Booking.anonymized_at.is_not(None)).execution_options(synchronize_session=False)
        ).rowcount
        report.rows_changed += report.profiles_deleted + report.bookings_deleted
        audit.record(s, actor, "retention.run", f"before:{personal_before}", report.summary(), at=now)
    return report


def retention_task(db_url: str, scenario_name: str, config: dict) -> str:
    """:func:`retention_run` as a solver-cluster task (``lastmile serve`` sends it once a day):
    the worker's own connection pool and network; the report's summary."""
    from scenarios.booking_rules import booking_setup
    from scenarios.dispatch.jobs import database_for
    from scenarios.planning import network_for
    from scenarios.scenario import load_scenario

    scenario = load_scenario(scenario_name)
    network = network_for(scenario)
    report = retention_run(database_for(db_url), scenario, booking_setup(scenario, network, config), network, actor="server")
    return report.summary()
