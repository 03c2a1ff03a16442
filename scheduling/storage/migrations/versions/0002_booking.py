"""slot counters, blackouts, customer profiles, bookings, idempotency keys

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slot_counters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("zone", sa.String(80), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("slot", sa.String(40), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("booked", sa.Integer, nullable=False, server_default="0"),
        sa.Column("held", sa.Integer, nullable=False, server_default="0"),
        sa.Column("capacity_source", sa.String(20), nullable=False, server_default="default"),
        sa.UniqueConstraint("zone", "date", "slot", name="uq_slot_counters_zone_date_slot"),
    )
    op.create_table(
        "blackouts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("zone", sa.String(80), nullable=False),
        sa.Column("date", sa.String(10), nullable=False, index=True),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.UniqueConstraint("zone", "date", name="uq_blackouts_zone_date"),
    )
    op.create_table(
        "customer_profiles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(40), nullable=False, server_default="ordinary"),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("zone", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("shop_id", "customer_id", name="uq_customer_profiles_shop_customer"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("zone", sa.String(80), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("slot", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("pickup_point_id", sa.String(80), nullable=True),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("node", sa.Integer, nullable=False),
        sa.Column("parcels", sa.Integer, nullable=False, server_default="1"),
        sa.Column("tier", sa.String(40), nullable=False, server_default="ordinary"),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("fee", sa.Float, nullable=False, server_default="0"),
        sa.Column("hold_expires_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_bookings_counter", "bookings", ["zone", "date", "slot", "status"])
    op.create_index("ix_bookings_customer", "bookings", ["shop_id", "customer_id"])
    op.create_index("ix_bookings_date_status", "bookings", ["date", "status"])
    op.create_table(
        "idempotency_keys",
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("response_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_bookings_date_status", table_name="bookings")
    op.drop_index("ix_bookings_customer", table_name="bookings")
    op.drop_index("ix_bookings_counter", table_name="bookings")
    op.drop_table("bookings")
    op.drop_table("customer_profiles")
    op.drop_table("blackouts")
    op.drop_table("slot_counters")
