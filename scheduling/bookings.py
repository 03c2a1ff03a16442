"""Holding, booking, confirming, rescheduling and cancelling delivery slots, safely under concurrency.

Every change is one database transaction that (1) releases the slot's expired holds, (2) takes
or gives back a seat with a conditional update on the zone-slot counter (see
:mod:`scheduling.capacity_store`), (3) writes the booking row, and (4) with an
``Idempotency-Key`` stores the response, all committed before the caller answers. A refused
request writes nothing.

A new booking is first checked against its date's tentative routes without any lock, then
queued for its date's commit: one thread of the process at a time commits every booking of the
date waiting then, in one transaction (a group commit). That transaction takes the date's
routability lock first (:mod:`scheduling.shared_routes`), brings the routes to the committed
bookings of every process, and for each booking in turn checks it, inserts its stop, takes its
seat and writes its rows; a booking refused by a rule writes nothing of its own and the others
go on. If the transaction fails as a whole, each booking is committed again alone.

Every change a shop makes (book, confirm, reschedule, cancel) is refused with 409
``past_cutoff`` once the booking's date is past its cut-off: the day is being dispatched. Only
the operator cancels then (:meth:`BookingService.cancel_by_operator`), and the shop hears of it
through the outbox event ``booking.cancelled_by_operator``.

Times stored are naive UTC; the public dictionaries carry ISO 8601 with ``Z``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from optimizer.domain import hhmm
from scheduling import capacity_store as cs
from scheduling import outbox
from scheduling.booking_setup import BookingError, BookingSetup
from scheduling.preferences import PastOrder
from scheduling.slots import SlotTemplate
from scheduling.storage import Database
from scheduling import quotes, shared_routes, tier_policy
from scheduling.privacy.consent import settle as consent_settle
from scheduling.storage.models import Booking, CustomerProfile, IdempotencyRecord
from scheduling.tentative import StopRequest, TentativePlans

LIVE = ("held", "confirmed")
NOTIFY_CHANNELS = ("none", "sms", "email")
OPERATOR_REASON_MAX = 500

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewBooking:
    """A validated booking request (types already checked by the API layer).

    What the route needs besides the place, all optional: ``order_ref`` (the shop's order
    reference, unique among the shop's live bookings), ``address`` (text for the driver sheet),
    ``bulky`` (adds the scenario's bulky handling seconds at the door), ``instructions`` (how to
    reach the door) and ``notify`` (the channel the customer prefers, one of
    :data:`NOTIFY_CHANNELS`; never a phone number or e-mail address).
    """

    customer_id: str
    date: dt.date
    slot: str
    lat: float
    lon: float
    tier: str = "ordinary"
    parcels: int = 1
    pickup_point_id: str | None = None
    hold: bool = False
    order_ref: str | None = None
    address: str | None = None
    bulky: bool = False
    instructions: str | None = None
    notify: str = "none"
    rebook_of: str | None = None  # a failed booking of the shop this one books again (scheduling.rebook)
    # The shop's word on the customer's consent to personalization (scheduling.privacy.consent):
    # None keeps what the store holds, False withdraws it.
    personalization_consent: bool | None = None
    quote_id: str | None = None  # an offer's quote of this slot: the booking pays its fee (scheduling.quotes)


@dataclass(frozen=True)
class Idempotency:
    key: str
    request_hash: str


@dataclass(frozen=True)
class Outcome:
    """An HTTP-ready result: status code, JSON body, and whether it is a stored replay."""

    status: int
    body: dict
    replayed: bool = False
    changed: bool = True  # False when the request found nothing to do (e.g. cancelling a cancelled booking)


def _naive_utc(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.timezone.utc).replace(tzinfo=None) if t.tzinfo else t


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.replace(microsecond=0).isoformat() + "Z"


def planned_eta(b: Booking) -> dict | None:
    """The published plan of a live booking, or ``None`` before publication (and once cancelled).

    ``start``/``end`` is the ETA window and ``arrival`` the planned arrival, ``HH:MM`` local
    time on the booking's date; ``plan_version`` is the plan (``plans.id``) they came from. A
    booking the published plan left unserved has no ETA window, so no ``planned_eta``.
    """
    if b.status not in LIVE or b.eta_start_s is None or b.eta_end_s is None:
        return None
    return {
        "start": hhmm(b.eta_start_s),
        "end": hhmm(b.eta_end_s),
        "arrival": None if b.planned_arrival_s is None else hhmm(b.planned_arrival_s),
        "plan_version": b.planned_plan_id,
        "vehicle_id": b.planned_vehicle_id,
        "published_at": _iso(b.planned_at),
    }


def booking_dict(b: Booking, currency: str) -> dict:
    """The public view of a booking row (the API's ``Booking`` schema)."""
    return {
        "id": b.id,
        "status": b.status,
        "customer_id": b.customer_id,
        "date": b.date,
        "slot": b.slot,
        "window": b.slot.split(":", 1)[1],
        "kind": b.kind,
        "zone": b.zone,
        "pickup_point_id": b.pickup_point_id,
        "lat": b.lat,
        "lon": b.lon,
        "parcels": b.parcels,
        "tier": b.tier,
        "fee": b.fee,
        "currency": currency,
        "order_ref": b.order_ref,
        "address": b.address,
        "bulky": bool(b.bulky),
        "instructions": b.instructions,
        "notify": b.notify or "none",
        "planned_eta": planned_eta(b),
        # The day as it is driven (scenarios.execution): HH:MM local time on the booking's date.
        "live_eta": None if b.live_eta_s is None else hhmm(b.live_eta_s),
        "at_risk": bool(b.at_risk),
        "delivery_status": b.delivery_status,
        "delivered_at": None if b.delivered_at_s is None else hhmm(b.delivered_at_s),
        "failed_reason": b.failed_reason,
        "rebooked_from": b.rebooked_from,
        "personalization_consent": bool(b.personalization_consent),
        # Which fee was charged: the one an offer quoted (quote_id), or the one priced when booking.
        "fee_basis": "quote" if b.fee_quoted else "booking_time",
        "hold_expires_at": _iso(b.hold_expires_at) if b.status == "held" else None,
        "created_at": _iso(b.created_at),
        "updated_at": _iso(b.updated_at),
    }


class _Changed(Exception):
    """The booking changed between reading and updating it; read it again."""


def _unchanged(b: Booking, status: str):
    """WHERE clauses matching the booking row only as it was read (status and slot key).

    On SQLite a SELECT runs before the write transaction begins, so every update that relies on
    what was read re-checks it in its WHERE and counts the rows.
    """
    return (Booking.id == b.id, Booking.status == status, Booking.zone == b.zone, Booking.date == b.date, Booking.slot == b.slot)


def expire_holds(session: Session, zone: str, date: str, slot: str, now: dt.datetime) -> list[str]:
    """Mark the slot's overdue holds expired and give their seats back; returns their ids."""
    rows = session.execute(
        update(Booking)
        .where(
            Booking.zone == zone,
            Booking.date == date,
            Booking.slot == slot,
            Booking.status == "held",
            Booking.hold_expires_at <= _naive_utc(now),
        )
        .values(status="expired", updated_at=_naive_utc(now))
        .returning(Booking.id)
        .execution_options(synchronize_session=False)
    ).all()
    cs.release_seats(session, zone, date, slot, held=len(rows))
    return [r[0] for r in rows]


def sweep_expired_holds(db: Database, now: dt.datetime) -> list[tuple[str, str]]:
    """Expire every overdue hold (for a periodic sweeper); returns ``(date, booking id)`` pairs."""
    with db.session() as s:
        keys = s.execute(
            select(Booking.zone, Booking.date, Booking.slot)
            .where(Booking.status == "held", Booking.hold_expires_at <= _naive_utc(now))
            .distinct()
        ).all()
    out = []
    for zone, date, slot in keys:
        ids = cs.run_transaction(db, lambda s: expire_holds(s, zone, date, slot, now))
        out += [(date, i) for i in ids]
    return out


MAX_GROUP = 32  # at most this many bookings of one date in one transaction (scheduling.bookings group commit)


@dataclass(eq=False)
class _Ticket:
    """A booking waiting for its date's commit: what it asks, and once ``done`` its outcome or error."""

    shop_id: int
    req: NewBooking
    idem: Idempotency | None
    template: SlotTemplate
    zone: str
    stop: StopRequest
    home_zone: str
    date: str
    booking_id: str
    now: dt.datetime
    fee: float
    quoted: bool
    outcome: Outcome | None = None
    error: BaseException | None = None
    done: bool = False
    event: threading.Event = field(default_factory=threading.Event)  # set when done, or when it is to lead


class BookingService:
    """The booking operations of one deployment. Thread-safe; share one per process."""

    def __init__(self, db: Database, setup: BookingSetup, plans: TentativePlans):
        self.db = db
        self.setup = setup
        self.plans = plans
        self._settle_lock = threading.Lock()

    # -- helpers -----------------------------------------------------------------------------
    @property
    def currency(self) -> str:
        return self.setup.pricing.currency

    def _replay(self, shop_id: int, idem: Idempotency | None) -> Outcome | None:
        if idem is None:
            return None
        with self.db.session() as s:
            rec = s.get(IdempotencyRecord, (shop_id, idem.key))
            if rec is None:
                return None
            if rec.request_hash != idem.request_hash:
                raise BookingError(
                    422,
                    "Idempotency-Key",
                    "key_reused",
                    "this Idempotency-Key was already used with a different request; use a new key for a new request",
                )
            return Outcome(rec.status_code, json.loads(rec.response_json), replayed=True)

    def _remember(self, s: Session, shop_id: int, idem: Idempotency | None, outcome: Outcome) -> None:
        if idem is not None:
            s.add(
                IdempotencyRecord(
                    shop_id=shop_id,
                    key=idem.key,
                    request_hash=idem.request_hash,
                    status_code=outcome.status,
                    response_json=json.dumps(outcome.body, sort_keys=True),
                    created_at=_naive_utc(self.setup.now()),
                )
            )

    def _resolve(self, req: NewBooking, *, moving: str | None = None) -> tuple[SlotTemplate, str, StopRequest, str]:
        """Check a request against the rules; returns template, counter zone, stop and the address's zone.

        ``moving``: the id of the booking being rescheduled (its new date's cut-off is then
        refused on the field ``date``).
        """
        st = self.setup
        template = st.template(req.slot)
        st.check_date(req.date)
        privileges = st.check_tier(req.tier)
        st.check_parcels(req.parcels)
        if req.notify not in NOTIFY_CHANNELS:
            raise BookingError(422, "notify", "unknown_channel", f"notify '{req.notify}' is unknown; use one of {', '.join(NOTIFY_CHANNELS)}")
        location = st.locate(req.lat, req.lon)
        if template.kind == "pickup":
            if not req.pickup_point_id:
                raise BookingError(422, "pickup_point_id", "required", f"slot {req.slot} is a pickup slot: give pickup_point_id")
            site = st.pickup_site(req.pickup_point_id)
            zone, stop = st.pickup_zone(site.id), st.pickup_stop(site, template, req.parcels)
        else:
            if req.pickup_point_id:
                raise BookingError(422, "pickup_point_id", "not_allowed", f"slot {req.slot} is a door slot: leave out pickup_point_id or pick a pickup slot")
            if not st.area.is_served(location.zone):
                raise BookingError(422, "lat", "outside_area", f"zone {location.zone} is not served")
            zone, stop = location.zone, st.door_stop(location, template, req.parcels, req.bulky)
        if template.kind == "premium" and not privileges.premium_slots:
            raise BookingError(403, "slot", "premium_only", f"{req.slot} is reserved for members with premium slots; tier '{req.tier}' has none")
        if req.date.weekday() in st.calendar.closed_weekdays:
            raise BookingError(409, "date", "closed", f"no deliveries on {req.date:%A}s")
        if st.calendar.past_cutoff(req.date, st.now()):
            if moving is not None:
                raise BookingError(
                    409,
                    "date",
                    "past_cutoff",
                    f"booking for {req.date} closed {st.calendar.describe_cutoff()} and the day is being dispatched; "
                    f"move booking {moving} to a later date, or contact the operator",
                )
            raise BookingError(409, "slot", "past_cutoff", f"booking for {req.date} closed {st.calendar.describe_cutoff()}")
        return template, zone, stop, location.zone

    def _check_open(self, b: Booking, now: dt.datetime, change: str) -> None:
        """Refuse a shop's change of ``b`` (409 ``past_cutoff``) once its date is past the cut-off.

        ``now`` is aware; ``change`` completes "can no longer be ..." in the message.
        """
        if self.setup.calendar.past_cutoff(dt.date.fromisoformat(b.date), now):
            raise BookingError(
                409,
                "booking_id",
                "past_cutoff",
                f"booking {b.id} is for {b.date}, which closed {self.setup.calendar.describe_cutoff()}: the day is being "
                f"dispatched and the booking can no longer be {change} here; contact the operator",
            )

    @staticmethod
    def _live_with_ref(s: Session, shop_id: int, order_ref: str) -> Booking | None:
        return s.scalars(
            select(Booking).where(Booking.shop_id == shop_id, Booking.order_ref == order_ref, Booking.status.in_(LIVE))
        ).first()

    @staticmethod
    def _duplicate(order_ref: str, existing: Booking) -> BookingError:
        return BookingError(
            409,
            "order_ref",
            "duplicate",
            f"order_ref '{order_ref}' is already used by booking {existing.id} ({existing.status}, {existing.date} "
            f"{existing.slot}); reschedule that booking, or use another order reference",
        )

    def _check_order_ref(self, s: Session, shop_id: int, order_ref: str, now: dt.datetime) -> tuple[str, list[str]] | None:
        """Inside the booking's transaction: refuse a reference a live booking of the shop holds.

        An overdue hold frees its reference: it is expired here (its slot's overdue holds with
        it, seats given back); returns that ``(date, expired ids)`` for the tentative routes.
        """
        existing = self._live_with_ref(s, shop_id, order_ref)
        if existing is None:
            return None
        if existing.status == "held" and existing.hold_expires_at is not None and existing.hold_expires_at <= _naive_utc(now):
            ids = expire_holds(s, existing.zone, existing.date, existing.slot, now)
            if existing.id in ids:
                return existing.date, ids
        raise self._duplicate(order_ref, existing)

    @staticmethod
    def _check_blackout(s: Session, home_zone: str, date: str) -> None:
        """Inside the booking's transaction. The address's zone decides, for pickup orders too, as in offers."""
        reason = cs.blackout_reason(s, home_zone, date)
        if reason is not None:
            raise BookingError(409, "date", "blackout", f"no deliveries in zone {home_zone} on {date}" + (f": {reason}" if reason else ""))

    def _fee(self, req: NewBooking, template: SlotTemplate, marginal_cost: float) -> float:
        waived = self.setup.tiers[req.tier].fee_waiver
        fee, _, _ = self.setup.pricing.fee(marginal_cost, pickup=template.kind == "pickup", waived=waived)
        return fee

    def _settle(self, booking_id: str, dates: set[str]) -> None:
        """Make the tentative routes of ``dates`` match the booking's committed row.

        Moves and cancellations of one booking can commit in one order and reach this point in
        another; because the row is read inside one lock, the last settle always sees the last
        commit, so a cancelled booking never keeps a stop and a moved one never keeps two.
        """
        with self._settle_lock:
            with self.db.session() as s:
                b = s.get(Booking, booking_id)
                stop = stop_of_row(self.setup, b) if b is not None and b.status in LIVE else None
                home = b.date if stop is not None else None
            for date in dates | ({home} if home else set()):
                day = self.plans.day(date)
                if date == home:
                    day.add(booking_id, stop, force=True)  # replaces the booking's earlier stop
                else:
                    day.remove(booking_id)

    def _forget_expired(self, date: str, ids: list[str]) -> None:
        if ids:
            day = self.plans.day(date)
            for i in ids:
                day.remove(i)

    # -- operations --------------------------------------------------------------------------
    def book(self, shop_id: int, req: NewBooking, idem: Idempotency | None = None) -> Outcome:
        """Hold (``req.hold``) or book a slot; 201 with the booking, or :class:`BookingError`."""
        replay = self._replay(shop_id, idem)
        if replay is not None:
            return replay
        template, zone, stop, home_zone = self._resolve(req)
        date = req.date.isoformat()
        booking_id = uuid.uuid4().hex
        day = self.plans.day(date)
        with day.lock:
            day.in_flight.add(booking_id)
        try:
            return self._book(shop_id, req, idem, template, zone, stop, home_zone, date, booking_id, day)
        finally:
            with day.lock:
                day.in_flight.discard(booking_id)

    def _routable_under_lock(self, s: Session, day, date: str, key: str, stop: StopRequest, now: dt.datetime, slot: str):
        """Inside a booking transaction: lock ``date``, bring this process's routes to the stored
        bookings, and insert ``key``'s stop (409 ``not_routable`` if it does not fit). The stop
        is only ever inserted here, so the check sees the committed bookings of every process
        and nothing uncommitted; the caller removes it if the transaction fails."""
        version = shared_routes.lock_date(s, date)
        day.remove(key)  # a retried transaction inserts again
        if shared_routes.needs_sync(day, version, time.monotonic()):
            shared_routes.sync_day(s, day, date, _naive_utc(now), lambda b: stop_of_row(self.setup, b), day.in_flight)
            day.synced_at = time.monotonic()
        quote = day.add(key, stop)
        if not quote.feasible:
            raise BookingError(409, "slot", "not_routable", f"{slot} on {date} no longer fits the day's routes; pick another slot")
        return version

    def _book(self, shop_id: int, req: NewBooking, idem: Idempotency | None, template: SlotTemplate, zone: str,
              stop: StopRequest, home_zone: str, date: str, booking_id: str, day) -> Outcome:
        quote = day.quote(stop)  # a first answer without the lock; the insertion happens under it
        self.setup.area.rows(stop.node)  # the stop's shortest paths, run (and cached) before the lock
        if not quote.feasible:
            raise BookingError(409, "slot", "not_routable", f"{req.slot} on {date} no longer fits the day's routes; pick another slot")
        fee = self._fee(req, template, quote.cost)
        now = self.setup.now()
        quoted = req.quote_id is not None
        if quoted:
            asked = quotes.terms(shop_id, date, template.id, req.pickup_point_id if template.kind == "pickup" else None,
                                 req.lat, req.lon, req.parcels, req.bulky, req.tier, fee, now)
            try:
                fee = quotes.honoured_fee(self.setup.quote_key, req.quote_id, asked, now)
            except BookingError:
                day.remove(booking_id)
                raise
        ticket = _Ticket(shop_id, req, idem, template, zone, stop, home_zone, date, booking_id, now, fee, quoted)
        # A group commit: this process's bookings of the date queue in ``day.pending``; one thread
        # at a time leads, committing every booking waiting then (one date lock, one sync and one
        # commit for all of them) until its own is done, then hands the lead to the first one still
        # waiting. The others sleep on their ticket's event: no lock convoy when a group is done.
        with day.pending_lock:
            day.pending.append(ticket)
            lead = not day.leading
            day.leading = True
        if not lead:
            ticket.event.wait()
        if not ticket.done:  # leading (from the start, or handed over)
            self._lead(day, date, ticket)
        exc = ticket.error
        if exc is None:
            self.plans.booked(date)
            return ticket.outcome  # type: ignore[return-value]
        day.remove(booking_id)
        if isinstance(exc, BookingError) and exc.reason != "duplicate":
            raise exc
        if isinstance(exc, (IntegrityError, BookingError)):
            replay = self._replay(shop_id, idem)  # a concurrent request with the same key won
            if replay is not None:
                return replay
            if isinstance(exc, IntegrityError) and req.order_ref is not None:
                # A concurrent booking took the reference between our check and our insert:
                # the partial unique index refused the row.
                with self.db.session() as s:
                    existing = self._live_with_ref(s, shop_id, req.order_ref)
                if existing is not None:
                    raise self._duplicate(req.order_ref, existing) from None
        raise exc

    def _lead(self, day, date: str, mine: _Ticket) -> None:
        """Commit the waiting bookings of ``date`` group by group until ``mine`` is done; then hand
        the lead to the first booking still waiting (or give it up if none is)."""
        try:
            while not mine.done:
                with day.pending_lock:
                    batch = day.pending[:MAX_GROUP]
                    del day.pending[:len(batch)]
                try:
                    with day.commit_lock:  # reschedules of the date take it too
                        self._commit_group(day, date, batch)
                finally:
                    for t in batch:  # every ticket of the group is done now
                        if t is not mine:
                            t.event.set()
        finally:
            with day.pending_lock:
                if mine in day.pending:  # interrupted before its group
                    day.pending.remove(mine)
                if day.pending:
                    nxt = day.pending[0]
                    nxt.event.set()  # not done: it leads now
                else:
                    day.leading = False

    def _commit_group(self, day, date: str, batch: list[_Ticket]) -> None:
        """Commit ``batch`` (this process's waiting bookings of ``date``) in one transaction; each
        ticket ends done with its outcome or its error. If the transaction as a whole fails (a
        unique index refusing a row, say), each booking is tried again alone, so one booking's
        failure never refuses another."""
        try:
            if len(batch) > 1:
                try:
                    self._group_transaction(day, date, batch)
                    return
                except Exception as exc:  # nothing of the group was committed; one at a time now
                    log.info("group commit of %d bookings on %s failed (%s: %s); committing them one by one",
                             len(batch), date, type(exc).__name__, exc)
            for t in batch:
                try:
                    self._group_transaction(day, date, [t])
                except Exception as exc:
                    t.outcome, t.error, t.done = None, exc, True
        finally:
            for t in batch:  # interrupted (not an Exception): the waiting threads must not wait forever
                if not t.done:
                    t.outcome, t.error, t.done = None, RuntimeError("the booking's commit was interrupted"), True

    def _group_transaction(self, day, date: str, batch: list[_Ticket]) -> None:
        """One transaction for ``batch``: take the date's lock, bring the routes to the store, then
        for each booking in turn check it, insert its stop (409 ``not_routable`` if it does not
        fit), take its seat and write its rows. A booking refused by a rule writes nothing of its
        own; the others go on. Raises (committing nothing) if a statement fails."""
        inserted: list[str] = []  # stops put on the routes by this attempt
        results: dict[str, Outcome | BookingError] = {}
        expired: list[tuple[str, list[str]]] = []

        def work(s: Session) -> int:
            for key in inserted:  # a retried transaction starts afresh
                day.remove(key)
            inserted.clear()
            results.clear()
            expired.clear()
            # The date's lock first: on SQLite its write takes the database's write lock, on
            # PostgreSQL it queues the other processes' bookings of the date on one row. Every
            # check below then sees the committed bookings of every process.
            version = shared_routes.lock_date(s, date)
            if shared_routes.needs_sync(day, version, time.monotonic()):
                shared_routes.sync_day(s, day, date, _naive_utc(min(t.now for t in batch)),
                                       lambda b: stop_of_row(self.setup, b), day.in_flight)
                day.synced_at = time.monotonic()
            prepared: set[tuple[str, str]] = set()
            blackouts: dict[str, BookingError | None] = {}
            for t in batch:
                try:
                    results[t.booking_id] = self._book_in_group(s, day, t, prepared, blackouts, expired, inserted)
                except BookingError as exc:
                    results[t.booking_id] = exc
            return version

        try:
            version = cs.run_transaction(self.db, work)
        except BaseException:
            for key in inserted:
                day.remove(key)
            raise
        day.synced_version = version  # committed: the day matches the store at this version
        for other_date, ids in expired:
            self._forget_expired(other_date, ids)
        for t in batch:
            got = results[t.booking_id]
            if isinstance(got, BookingError):
                t.outcome, t.error = None, got
            else:
                t.outcome, t.error = got, None
            t.done = True

    def _book_in_group(self, s: Session, day, t: _Ticket, prepared: set, blackouts: dict, expired: list, inserted: list) -> Outcome:
        """Inside a group's transaction, the date's lock held: check, route and write one booking."""
        req, shop_id, date, template, zone, now = t.req, t.shop_id, t.date, t.template, t.zone, t.now
        tier_policy.check_allowed(s, shop_id, req.tier)
        tier_policy.check_share(s, shop_id, req.tier, date, dict(self.setup.tiers))
        if t.home_zone not in blackouts:
            try:
                self._check_blackout(s, t.home_zone, date)
                blackouts[t.home_zone] = None
            except BookingError as exc:
                blackouts[t.home_zone] = exc
        if blackouts[t.home_zone] is not None:
            raise blackouts[t.home_zone]
        if req.order_ref is not None:
            found = self._check_order_ref(s, shop_id, req.order_ref, now)
            if found is not None:
                expired.append(found)
        if req.rebook_of is not None:
            from scheduling.rebook import check_rebook_of

            check_rebook_of(s, shop_id, req.rebook_of)
        if (zone, template.id) not in prepared:
            expired.append((date, expire_holds(s, zone, date, template.id, now)))
            cs.ensure_counter(s, zone, date, template.id, self.setup.capacity_default(template, zone))
            prepared.add((zone, template.id))
        # The stop before the seat: a booking whose stop does not fit writes nothing.
        if not day.add(t.booking_id, t.stop).feasible:
            raise BookingError(409, "slot", "not_routable", f"{req.slot} on {date} no longer fits the day's routes; pick another slot")
        inserted.append(t.booking_id)
        if not cs.take_seat(s, zone, date, template.id, hold=req.hold):
            inserted.remove(t.booking_id)
            day.remove(t.booking_id)
            raise BookingError(409, "slot", "full", f"{req.slot} on {date} in {zone} is fully booked; pick another slot")
        naive = _naive_utc(now)
        consent = consent_settle(s, shop_id, req.customer_id, req.personalization_consent)
        booking = Booking(
            id=t.booking_id,
            shop_id=shop_id,
            customer_id=req.customer_id,
            zone=zone,
            date=date,
            slot=template.id,
            kind=template.kind,
            pickup_point_id=req.pickup_point_id if template.kind == "pickup" else None,
            lat=req.lat,
            lon=req.lon,
            node=t.stop.node,
            parcels=req.parcels,
            tier=req.tier,
            status="held" if req.hold else "confirmed",
            fee=t.fee,
            order_ref=req.order_ref,
            address=req.address,
            bulky=req.bulky,
            instructions=req.instructions,
            notify=req.notify,
            rebooked_from=req.rebook_of,
            personalization_consent=consent,
            fee_quoted=t.quoted,
            hold_expires_at=naive + dt.timedelta(minutes=self.setup.hold_minutes) if req.hold else None,
            created_at=naive,
            updated_at=naive,
        )
        s.add(booking)
        day.stamps[t.booking_id] = naive
        if consent:  # without consent no profile is kept (scheduling.privacy.consent)
            self._upsert_customer(s, shop_id, req, t.home_zone, naive)
        outcome = Outcome(201, booking_dict(booking, self.currency))
        self._remember(s, shop_id, t.idem, outcome)
        s.flush()  # the next booking of the group sees this one (its order reference, the tier share)
        return outcome

    def _upsert_customer(self, s: Session, shop_id: int, req: NewBooking, zone: str, now: dt.datetime) -> None:
        insert = cs.insert_for(s)
        values = dict(tier=req.tier, lat=req.lat, lon=req.lon, zone=zone, updated_at=now, consented_at=now)
        stmt = insert(CustomerProfile).values(shop_id=shop_id, customer_id=req.customer_id, **values)
        s.execute(stmt.on_conflict_do_update(index_elements=["shop_id", "customer_id"], set_=values))

    def _own(self, s: Session, shop_id: int, booking_id: str, *, lock: bool = False) -> Booking:
        q = select(Booking).where(Booking.id == booking_id, Booking.shop_id == shop_id)
        if lock:
            q = q.with_for_update()
        b = s.scalars(q).first()
        if b is None:
            # Another shop's booking looks the same as a missing one: no ids leak across shops.
            raise BookingError(404, "booking_id", "not_found", f"no booking {booking_id} for this shop")
        return b

    def get(self, shop_id: int, booking_id: str) -> Outcome:
        with self.db.session() as s:
            b = self._own(s, shop_id, booking_id)
            if b.status == "held" and b.hold_expires_at is not None and b.hold_expires_at <= _naive_utc(self.setup.now()):
                body = booking_dict(b, self.currency) | {"status": "expired", "hold_expires_at": None, "planned_eta": None}
                return Outcome(200, body)
            return Outcome(200, booking_dict(b, self.currency))

    def confirm(self, shop_id: int, booking_id: str, idem: Idempotency | None = None) -> Outcome:
        """Turn a live hold into a booking (200); a confirmed booking is returned as it is."""
        replay = self._replay(shop_id, idem)
        if replay is not None:
            return replay
        aware = self.setup.now()
        now = _naive_utc(aware)

        def work(s: Session) -> Outcome:
            b = self._own(s, shop_id, booking_id, lock=True)
            if b.status == "confirmed":
                return Outcome(200, booking_dict(b, self.currency), changed=False)
            if b.status != "held" or (b.hold_expires_at is not None and b.hold_expires_at <= now):
                raise BookingError(409, "booking_id", "hold_expired", f"booking {booking_id} is no longer held ({'expired' if b.status == 'held' else b.status}); book again")
            self._check_open(b, aware, "confirmed")
            done = s.execute(
                update(Booking)
                .where(*_unchanged(b, "held"))
                .values(status="confirmed", hold_expires_at=None, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:
                raise BookingError(409, "booking_id", "changed", f"booking {booking_id} changed meanwhile (expired or moved); look it up and retry")
            cs.convert_hold(s, b.zone, b.date, b.slot)
            s.refresh(b)
            outcome = Outcome(200, booking_dict(b, self.currency))
            self._remember(s, shop_id, idem, outcome)
            return outcome

        return cs.run_transaction(self.db, work)

    def cancel(self, shop_id: int, booking_id: str, idem: Idempotency | None = None) -> Outcome:
        """Cancel a hold or booking and give its seat back (200 with the cancelled booking).

        Refused with 409 ``past_cutoff`` once the booking's date is past its cut-off (then only
        the operator cancels: :meth:`cancel_by_operator`). Cancelling twice is harmless.
        """
        replay = self._replay(shop_id, idem)
        if replay is not None:
            return replay
        aware = self.setup.now()

        def work(s: Session, released: list[str]) -> Outcome:
            b = self._own(s, shop_id, booking_id, lock=True)
            if b.status in LIVE:
                self._check_open(b, aware, "cancelled")
            changed = self._cancel_row(s, b, _naive_utc(aware), released)
            outcome = Outcome(200, booking_dict(b, self.currency), changed=changed)
            self._remember(s, shop_id, idem, outcome)
            return outcome

        return self._cancelling(booking_id, work)

    def cancel_by_operator(self, booking_id: str, reason: str, user: str) -> Outcome:
        """The operator cancels a held or confirmed booking of any shop, also past the cut-off.

        The seat returns as with :meth:`cancel`, and in the same transaction the outbox gets
        one ``booking.cancelled_by_operator`` event for the booking's shop, with the cancelled
        booking and ``reason`` (the text the shop sees). ``user`` (who cancelled) goes to the
        log, not to the shop. An already cancelled or expired booking is a 200 no-op
        (``changed`` false) and writes no event; an unknown id is a 404 :class:`BookingError`.
        """
        reason = (reason or "").strip()
        if not reason:
            raise BookingError(422, "reason", "required", "give a reason for the cancellation; the shop is told it")
        if len(reason) > OPERATOR_REASON_MAX:
            raise BookingError(422, "reason", "too_long", f"the reason is {len(reason)} characters; shorten it to {OPERATOR_REASON_MAX}")
        aware = self.setup.now()

        def work(s: Session, released: list[str]) -> Outcome:
            b = s.scalars(select(Booking).where(Booking.id == booking_id).with_for_update()).first()
            if b is None:
                raise BookingError(404, "booking_id", "not_found", f"no booking {booking_id}; check the id")
            changed = self._cancel_row(s, b, _naive_utc(aware), released)
            body = booking_dict(b, self.currency)
            if changed:
                outbox.enqueue(s, b.shop_id, b.id, "booking.cancelled_by_operator", {"booking": body, "reason": reason})
            return Outcome(200, body, changed=changed)

        outcome = self._cancelling(booking_id, work)
        if outcome.changed:
            log.info("booking %s cancelled by operator %s: %s", booking_id, user, reason)
        return outcome

    @staticmethod
    def _cancel_row(s: Session, b: Booking, now: dt.datetime, released: list[str]) -> bool:
        """Inside a transaction: mark a live ``b`` cancelled and give its seat back; False if it was not live.

        Raises :class:`_Changed` if the row changed since it was read. ``now`` is naive UTC.
        """
        column = {"confirmed": "booked", "held": "held"}.get(b.status)
        if column is None:
            return False
        done = s.execute(
            update(Booking)
            .where(*_unchanged(b, b.status))
            .values(status="cancelled", hold_expires_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            raise _Changed()
        cs.release_seats(s, b.zone, b.date, b.slot, **{column: 1})
        released.append(b.date)
        s.refresh(b)
        return True

    def _cancelling(self, booking_id: str, work) -> Outcome:
        """Run a cancellation ``work(session, released_dates)``, retried while the row moves, then settle the routes."""
        released: list[str] = []

        def attempt_once(s: Session) -> Outcome:
            released.clear()  # a retried transaction starts afresh
            return work(s, released)

        for attempt in range(5):
            try:
                outcome = cs.run_transaction(self.db, attempt_once)
                break
            except _Changed:
                if attempt == 4:
                    raise BookingError(409, "booking_id", "changed", f"booking {booking_id} keeps changing; retry") from None
        for date in released:
            self._settle(booking_id, {date})
            self.plans.booked(date)
        return outcome

    def reschedule(self, shop_id: int, booking_id: str, *, date: dt.date | None, slot: str | None, idem: Idempotency | None = None) -> Outcome:
        """Move a live booking or hold to another date and/or slot, atomically (the old seat is kept on refusal).

        The order reference, address, bulky flag, instructions and notify channel stay; a
        published ETA is dropped (the stop is no longer where that plan put it). Refused with
        409 ``past_cutoff`` when the booking's date (field ``booking_id``) or the new date
        (field ``date``) is past its cut-off.
        """
        replay = self._replay(shop_id, idem)
        if replay is not None:
            return replay
        with self.db.session() as s:
            current = self._own(s, shop_id, booking_id)
        if current.status not in LIVE:
            raise BookingError(409, "booking_id", "not_live", f"booking {booking_id} is {current.status}; only held or confirmed bookings move")
        old_date = dt.date.fromisoformat(current.date)
        self._check_open(current, self.setup.now(), "moved")
        req = NewBooking(
            customer_id=current.customer_id,
            date=date or old_date,
            slot=slot or current.slot,
            lat=current.lat,
            lon=current.lon,
            tier=current.tier,
            parcels=current.parcels,
            pickup_point_id=current.pickup_point_id,
            hold=current.status == "held",
            order_ref=current.order_ref,
            address=current.address,
            bulky=bool(current.bulky),
            instructions=current.instructions,
            notify=current.notify or "none",
        )
        template, zone, stop, home_zone = self._resolve(req, moving=booking_id)
        new_date = req.date.isoformat()
        if (zone, new_date, template.id) == (current.zone, current.date, current.slot):
            return Outcome(200, booking_dict(current, self.currency))
        # The stop is re-inserted under a temporary key, so the old place is kept until the move commits.
        probe = f"{booking_id}~{uuid.uuid4().hex[:12]}"  # unique: concurrent moves must not share a probe
        day = self.plans.day(new_date)
        quote = day.quote(stop)  # a first answer; the probe is inserted under the date's lock
        if not quote.feasible:
            raise BookingError(409, "slot", "not_routable", f"{req.slot} on {new_date} does not fit the day's routes; pick another slot")
        fee = self._fee(req, template, quote.cost)
        now = self.setup.now()
        naive = _naive_utc(now)

        taken: list[int] = []

        def work(s: Session) -> Outcome:
            # The new date's lock first, as a group of new bookings takes it (scheduling.bookings
            # _group_transaction), so the two never wait for each other's rows in opposite order;
            # it is taken again (one more version) when the probe is inserted below.
            shared_routes.lock_date(s, new_date)
            b = self._own(s, shop_id, booking_id, lock=True)
            if b.status not in LIVE:
                raise BookingError(409, "booking_id", "not_live", f"booking {booking_id} is {b.status}")
            if b.status == "held" and b.hold_expires_at is not None and b.hold_expires_at <= naive:
                raise BookingError(409, "booking_id", "hold_expired", f"the hold {booking_id} has expired; book again")
            self._check_open(b, now, "moved")  # the row as locked: a concurrent move may have changed its date
            if (b.zone, b.date, b.slot) == (zone, new_date, template.id):
                # A concurrent move got there first: taking a second seat here would leak one.
                return Outcome(200, booking_dict(b, self.currency))
            guard = s.execute(
                update(Booking).where(*_unchanged(b, b.status)).values(updated_at=naive).execution_options(synchronize_session=False)
            )
            if guard.rowcount != 1:
                raise BookingError(409, "booking_id", "changed", f"booking {booking_id} changed meanwhile; look it up and retry")
            self._check_blackout(s, home_zone, new_date)
            hold = b.status == "held"
            column = "held" if hold else "booked"
            expire_holds(s, zone, new_date, template.id, now)
            cs.ensure_counter(s, zone, new_date, template.id, self.setup.capacity_default(template, zone))
            # Counter rows are touched in key order, so two opposite moves cannot deadlock.
            old_key, new_key = (b.zone, b.date, b.slot), (zone, new_date, template.id)
            if old_key < new_key:
                cs.release_seats(s, *old_key, **{column: 1})
            if not cs.take_seat(s, zone, new_date, template.id, hold=hold):
                raise BookingError(409, "slot", "full", f"{req.slot} on {new_date} in {zone} is fully booked; the booking stays as it was")
            if old_key > new_key:
                cs.release_seats(s, *old_key, **{column: 1})
            b.zone, b.date, b.slot, b.kind, b.fee, b.updated_at = zone, new_date, template.id, template.kind, fee, naive
            b.planned_plan_id = b.planned_vehicle_id = b.planned_arrival_s = b.eta_start_s = b.eta_end_s = b.planned_at = None
            if hold:
                b.hold_expires_at = naive + dt.timedelta(minutes=self.setup.hold_minutes)
            s.flush()
            outcome = Outcome(200, booking_dict(b, self.currency))
            self._remember(s, shop_id, idem, outcome)
            s.flush()
            taken[:] = [self._routable_under_lock(s, day, new_date, probe, stop, now, req.slot)]  # last, as in book
            return outcome

        try:
            with day.commit_lock:
                outcome = cs.run_transaction(self.db, work)
                day.synced_version = None  # the move settles after the commit: sync next time
        except BaseException:
            day.remove(probe)
            raise
        day.remove(probe)
        self._settle(booking_id, {current.date, new_date})
        self.plans.booked(new_date)
        return outcome

    # -- reading -----------------------------------------------------------------------------
    def customer_tier(self, shop_id: int, customer_id: str) -> str | None:
        """The tier stored with the customer's last booking made with consent, if any."""
        with self.db.session() as s:
            return s.scalar(
                select(CustomerProfile.tier).where(CustomerProfile.shop_id == shop_id, CustomerProfile.customer_id == customer_id)
            )

    def history(self, shop_id: int, customer_id: str, limit: int = 200, *, session: Session | None = None) -> list[PastOrder]:
        """The customer's confirmed bookings with this shop made with consent to personalization,
        newest first, as preference history."""
        query = (
            select(Booking.date, Booking.slot, Booking.kind)
            .where(Booking.shop_id == shop_id, Booking.customer_id == customer_id, Booking.status == "confirmed",
                   Booking.personalization_consent.is_(True))
            .order_by(Booking.created_at.desc())
            .limit(limit)
        )
        if session is not None:
            rows = session.execute(query).all()
        else:
            with self.db.session() as s:
                rows = s.execute(query).all()
        return [PastOrder(dt.date.fromisoformat(d).weekday(), slot.split(":", 1)[1], kind == "pickup") for d, slot, kind in rows]

    def list(self, shop_id: int, *, date: dt.date | None = None, customer_id: str | None = None, limit: int = 100) -> list[dict]:
        with self.db.session() as s:
            q = select(Booking).where(Booking.shop_id == shop_id)
            if date is not None:
                q = q.where(Booking.date == date.isoformat())
            if customer_id is not None:
                q = q.where(Booking.customer_id == customer_id)
            rows = s.scalars(q.order_by(Booking.created_at, Booking.id).limit(limit)).all()
            return [booking_dict(b, self.currency) for b in rows]


def stops_loader(db: Database, setup: BookingSetup):
    """``load(date)`` for :class:`TentativePlans`: the date's live bookings as stops, in booking order."""

    def load(date: str) -> list[tuple[str, StopRequest]]:
        now = _naive_utc(setup.now())
        with db.session() as s:
            rows = s.scalars(
                select(Booking).where(Booking.date == date, Booking.status.in_(LIVE)).order_by(Booking.created_at, Booking.id)
            ).all()
        out = []
        for b in rows:
            if b.status == "held" and b.hold_expires_at is not None and b.hold_expires_at <= now:
                continue
            stop = stop_of_row(setup, b)
            if stop is not None:
                out.append((b.id, stop))
        return out

    return load


def stop_of_row(setup: BookingSetup, b: Booking) -> StopRequest | None:
    """The stop a stored booking puts on its date's routes (None for a slot no longer in the calendar)."""
    template = setup.calendar.template(b.slot)
    if template is None:
        return None
    if b.kind == "pickup" and b.pickup_point_id in setup.pickup_sites:
        return setup.pickup_stop(setup.pickup_sites[b.pickup_point_id], template, b.parcels)
    return StopRequest(b.node, template.window, setup.handling.home_s(b.parcels, bool(b.bulky)), b.parcels)
