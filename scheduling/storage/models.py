"""Tables shared by the web UI and the booking API.

Change the schema only through a new Alembic revision in ``migrations/versions/``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    """A dispatcher or planner who signs in to the web UI."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="dispatcher")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Raised on sign-out, password change or removal: every session cookie carrying an older one stops working.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    failed_signins: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # naive UTC


class SigninFailure(Base):
    """A wrong password or unknown user at sign-in, per client address (naive UTC): the throttle's memory."""

    __tablename__ = "signin_failures"
    __table_args__ = (Index("ix_signin_failures_address_at", "address", "at"),
                      Index("ix_signin_failures_username_at", "username", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64), nullable=False)
    username: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class Shop(Base):
    """A shop whose backend calls the booking API; it sees only its own customers' bookings."""

    __tablename__ = "shops"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    # Before schema 0007 the shop's only key; now written once (its first key) and never read:
    # the keys are in ``api_keys``. Retired to an unusable value when that key is rotated or revoked.
    api_key_hash: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Where the shop's events are POSTed (HTTPS, or loopback for tests); None: the shop polls /events.
    webhook_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The HMAC-SHA256 key the shop verifies signatures with (shown once when the webhook is set).
    webhook_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Tier trust (scheduling.tier_policy), set by the operator: the tiers this shop may assert
    # (comma list; None: every tier of the scenario), and a cap on the share of its bookings of a
    # date in a privileged tier (None: no cap), which never bites below ``premium_floor`` bookings.
    allowed_tiers: Mapped[str | None] = mapped_column(String(400), nullable=True)
    premium_share_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    premium_floor: Mapped[int] = mapped_column(Integer, nullable=False, default=10, server_default="10")


class ApiKey(Base):
    """One of a shop's API keys, stored as a SHA-256; ``scopes`` a comma list of ``read`` and
    ``book``. ``revoked_at`` (naive UTC) is when the key stops working: a revoked key has it in
    the past, a rotated one in the future (its grace period); every server process refuses the
    key within its key-cache time (``API_KEY_CACHE_S``) after that moment. The source of truth
    for keys (``shops.api_key_hash`` is no longer read)."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_shop", "shop_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, default="", server_default="")
    scopes: Mapped[str] = mapped_column(String(100), nullable=False, default="read,book", server_default="read,book")
    label: Mapped[str] = mapped_column(String(80), nullable=False, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SavedPlan(Base):
    """A plan a dispatcher made for a date; ``parent_id`` links a re-optimized plan to its previous one."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario: Mapped[str] = mapped_column(String(200), nullable=False)
    date: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    plan_json: Mapped[str] = mapped_column(Text, nullable=False)
    scorecard_json: Mapped[str] = mapped_column(Text, nullable=False)


# --------------------------------------------------------------------------- booking API
# Times in these tables are naive UTC (``dt.datetime.utcnow``-style), the same on SQLite and
# PostgreSQL, so that ``hold_expires_at < :now`` compares alike on both.


class SlotCounter(Base):
    """Capacity and use of one zone-slot on one date: the row every booking updates atomically.

    ``zone`` is a delivery zone id, or ``pickup:<point id>`` for a pickup point; ``slot`` a slot id
    such as ``home:08:00-10:00``. ``booked`` counts confirmed bookings, ``held`` unexpired holds
    (orders, not parcels). The invariant ``booked + held <= capacity`` is kept by conditional updates.
    """

    __tablename__ = "slot_counters"
    __table_args__ = (UniqueConstraint("zone", "date", "slot", name="uq_slot_counters_zone_date_slot"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone: Mapped[str] = mapped_column(String(80), nullable=False)
    date: Mapped[str] = mapped_column(String(10), nullable=False)
    slot: Mapped[str] = mapped_column(String(40), nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    booked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    held: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    capacity_source: Mapped[str] = mapped_column(String(20), nullable=False, default="default")


class Blackout(Base):
    """A date on which a zone takes no deliveries (``zone`` ``*`` closes every zone)."""

    __tablename__ = "blackouts"
    __table_args__ = (UniqueConstraint("zone", "date", name="uq_blackouts_zone_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone: Mapped[str] = mapped_column(String(80), nullable=False)
    date: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class CustomerProfile(Base):
    """A shop's customer who consented to personalization: member tier and last known address.

    A row exists only while the customer's consent does (``consented_at``, naive UTC, is when the
    shop last said so); withdrawing consent deletes it (:mod:`scheduling.privacy.consent`).
    """

    __tablename__ = "customer_profiles"
    __table_args__ = (UniqueConstraint("shop_id", "customer_id", name="uq_customer_profiles_shop_customer"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), nullable=False)
    customer_id: Mapped[str] = mapped_column(String(64), nullable=False)
    tier: Mapped[str] = mapped_column(String(40), nullable=False, default="ordinary")
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    zone: Mapped[str] = mapped_column(String(80), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    consented_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


LIVE_STATUSES = ("held", "confirmed")
_LIVE_SQL = "status IN ('held', 'confirmed') AND order_ref IS NOT NULL"


class Booking(Base):
    """A held or confirmed delivery slot for one order of a shop's customer.

    ``status``: ``held`` (until ``hold_expires_at``), ``confirmed``, ``cancelled`` or ``expired``.
    ``fee`` is in the scenario currency. ``node`` is the snapped street-network node of the stop.

    What a route needs (all optional): ``order_ref`` (the shop's order reference, unique per shop
    among live bookings), ``address`` (text for the driver sheet), ``bulky``, ``instructions``
    and ``notify`` (the channel the customer prefers: ``none``, ``sms`` or ``email``; never the
    number or address itself).

    Publication (``scenarios.dispatch``) fills the ``planned_*`` and ``eta_*`` columns: the
    planned arrival and the ETA window inside the booked slot, in seconds since midnight of
    ``date``, the vehicle, and the plan version (``plans.id``) they came from.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_counter", "zone", "date", "slot", "status"),
        Index("ix_bookings_customer", "shop_id", "customer_id"),
        Index("ix_bookings_date_status", "date", "status"),
        Index(
            "uq_bookings_shop_order_ref_live",
            "shop_id",
            "order_ref",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), nullable=False)
    customer_id: Mapped[str] = mapped_column(String(64), nullable=False)
    zone: Mapped[str] = mapped_column(String(80), nullable=False)
    date: Mapped[str] = mapped_column(String(10), nullable=False)
    slot: Mapped[str] = mapped_column(String(40), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    pickup_point_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    node: Mapped[int] = mapped_column(Integer, nullable=False)
    parcels: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    tier: Mapped[str] = mapped_column(String(40), nullable=False, default="ordinary")
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    fee: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    order_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    bulky: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    instructions: Mapped[str | None] = mapped_column(String(500), nullable=True)
    notify: Mapped[str] = mapped_column(String(10), nullable=False, default="none", server_default="none")
    planned_plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    planned_vehicle_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    planned_arrival_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    eta_start_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    eta_end_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    planned_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # The day as it is driven (scenarios.execution): the live ETA re-timed from the van's progress
    # (seconds since midnight of ``date``), whether it leaves the booked slot, and the outcome.
    live_eta_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at_risk: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    delivery_status: Mapped[str | None] = mapped_column(String(12), nullable=True)  # delivered | failed
    delivered_at_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failed_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    rebooked_from: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the failed booking this one replaces
    # Customers' data (scheduling.privacy): whether the shop said the customer consented to
    # personalization when booking (only such bookings are learned from), and when the row's
    # personal fields were removed (erasure or retention); the counts the scorecards need stay.
    personalization_consent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    anonymized_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # The fee was the one quoted in an offer (scheduling.quotes), not priced at booking time.
    fee_quoted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))


class RouteLock(Base):
    """The row a booking transaction of ``date`` locks first (scheduling.shared_routes): the
    routability check of every server process on that date happens one at a time, against the
    live bookings as committed. ``version`` counts the transactions that took it."""

    __tablename__ = "route_locks"
    date: Mapped[str] = mapped_column(String(10), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")


class IdempotencyRecord(Base):
    """The stored answer to a request sent with an ``Idempotency-Key``, per shop."""

    __tablename__ = "idempotency_keys"
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response_json: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


# --------------------------------------------------------------------------- dispatch


class Publication(Base):
    """A plan the dispatcher published for a date: its ETAs went to the bookings and the shops.

    The latest row of a date is the plan drivers follow; ``plan_id`` is the plan version that
    ``GET /api/v1/bookings/{id}`` reports with ``planned_eta``.
    """

    __tablename__ = "publications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario: Mapped[str] = mapped_column(String(200), nullable=False)
    date: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), nullable=False)
    published_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    published_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    eta_width_s: Mapped[int] = mapped_column(Integer, nullable=False)
    bookings_planned: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    bookings_unserved: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    forced: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))


class OutboxEvent(Base):
    """An event for a shop, written in the same transaction as the change that causes it.

    ``id`` is the event id shops deduplicate by and poll after (``GET /api/v1/events?after=ID``).
    The sender delivers a booking's events in ``id`` order: a later event waits while an earlier
    one of the same booking is undelivered. ``delivered_at`` is set once the shop's webhook
    answered 2xx; ``gave_up_at`` when retries ran out (the event stays pollable).
    """

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_pending", "delivered_at", "gave_up_at", "next_attempt_at"),
        Index("ix_outbox_shop_id", "shop_id", "id"),
        Index("ix_outbox_booking", "booking_id", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), nullable=False)
    booking_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    payload_json: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    gave_up_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)


class SolveJob(Base):
    """A dispatcher solve (plan, re-optimize) running on a worker, as every server process sees it.

    ``state``: ``queued``, ``running``, ``done`` (``result_plan_id`` set), ``failed``
    (``message`` in plain words) or ``stopped`` (stopped early; the best plan so far is kept in
    ``result_plan_id``). ``best_cost`` is in the scenario currency; times are naive UTC.
    """

    __tablename__ = "solve_jobs"
    __table_args__ = (Index("ix_solve_jobs_tag_state", "tag", "state"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    owner: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    tag: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    scenario: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    params_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="queued")
    stage: Mapped[str] = mapped_column(String(200), nullable=False, default="waiting for a free solver")
    time_limit_s: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    best_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    improvements: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    result_plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stop_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


# --------------------------------------------------------------------------- the day as it is driven


class DriverToken(Base):
    """A driver's sign-in for one vehicle on one plan date, issued by a dispatcher; stored as a hash.

    Valid while ``revoked_at`` is null and the date has not ended (``date`` in the scenario's
    time zone, plus a grace of a few hours after midnight for late returns).
    """

    __tablename__ = "driver_tokens"
    __table_args__ = (Index("ix_driver_tokens_date_vehicle", "date", "vehicle_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    scenario: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    date: Mapped[str] = mapped_column(String(10), nullable=False)
    vehicle_id: Mapped[str] = mapped_column(String(40), nullable=False)
    driver_name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    issued_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class DeliveryEventRow(Base):
    """One thing that happened on the road, as a driver (or the dispatcher, or a simulation) reported it.

    ``id`` is the sender's event id (a UUID made on the phone), so a resend is recognised and
    ignored. ``type``: ``departed`` (the van left the depot; no stop), ``arrived``,
    ``delivered`` (``recipient``: a name or locker code, optional), ``failed`` (``reason``:
    ``not_home``, ``refused``, ``address_problem``, ``damaged``, ``no_access``, ``other``),
    ``picked_up`` (parcels for a pickup-point stop collected at the depot). ``at_s`` is when it
    happened, seconds since midnight of ``date`` (local time); ``received_at`` naive UTC.
    ``booking_id`` is set for events of a booked order (``order_id`` is the plan's order id).
    """

    __tablename__ = "delivery_events"
    __table_args__ = (
        Index("ix_delivery_events_day", "date", "vehicle_id", "at_s"),
        Index("ix_delivery_events_booking", "booking_id"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scenario: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    date: Mapped[str] = mapped_column(String(10), nullable=False)
    plan_id: Mapped[int] = mapped_column(Integer, nullable=False)
    vehicle_id: Mapped[str] = mapped_column(String(40), nullable=False)
    stop_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    order_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    booking_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    type: Mapped[str] = mapped_column(String(12), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(80), nullable=True)
    at_s: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(String(12), nullable=False, default="driver")
    reported_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class VehicleOutage(Base):
    """A vehicle out of service from ``from_s`` (seconds since midnight of ``date``): breakdown, driver ill."""

    __tablename__ = "vehicle_outages"
    __table_args__ = (UniqueConstraint("scenario", "date", "vehicle_id", name="uq_vehicle_outages_day_vehicle"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    date: Mapped[str] = mapped_column(String(10), nullable=False)
    vehicle_id: Mapped[str] = mapped_column(String(40), nullable=False)
    from_s: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class Feedback(Base):
    """A customer's word on a delivered or failed booking, relayed by the shop; once per booking.

    ``rating`` 1-5; ``categories_json`` a JSON list of ``late``, ``early``, ``damaged``,
    ``courier_conduct``, ``wrong_place``, ``other``; ``comment`` free text (personal data).
    ``vehicle_id``/``plan_id``/``stop_id`` join it to the route and the driver.
    """

    __tablename__ = "feedback"
    booking_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), nullable=False)
    date: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    categories_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    comment: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    stop_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


# --------------------------------------------------------------------------- accountability


class AuditEntry(Base):
    """One line of the append-only audit log: who did what to which day, customer, key or user.

    ``actor`` is ``user:<name>``, ``shop:<name>`` or ``cli``; ``action`` a verb such as
    ``day.view``, ``day.export``, ``plan.change``, ``customer.export``, ``customer.erase``,
    ``key.create``, ``user.add``; ``subject`` what it was done to (``day:2026-12-02``,
    ``customer:<shop>/<id>``). Rows are only ever inserted (:mod:`scheduling.audit`).
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
