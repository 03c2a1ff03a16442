"""Tables shared by the web UI and the booking API.

Change the schema only through a new Alembic revision in ``migrations/versions/``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
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


class Shop(Base):
    """A shop whose backend calls the booking API; it sees only its own customers' bookings."""

    __tablename__ = "shops"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    api_key_hash: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


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
    """A shop's customer: member tier and last known address (snapped zone)."""

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


class Booking(Base):
    """A held or confirmed delivery slot for one order of a shop's customer.

    ``status``: ``held`` (until ``hold_expires_at``), ``confirmed``, ``cancelled`` or ``expired``.
    ``fee`` is in the scenario currency. ``node`` is the snapped street-network node of the stop.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_counter", "zone", "date", "slot", "status"),
        Index("ix_bookings_customer", "shop_id", "customer_id"),
        Index("ix_bookings_date_status", "date", "status"),
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


class IdempotencyRecord(Base):
    """The stored answer to a request sent with an ``Idempotency-Key``, per shop."""

    __tablename__ = "idempotency_keys"
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response_json: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
