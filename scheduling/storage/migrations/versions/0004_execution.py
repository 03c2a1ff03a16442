"""the day as it is driven: driver tokens, delivery events, vehicle outages, feedback, live ETAs

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as b:
        b.add_column(sa.Column("live_eta_s", sa.Integer, nullable=True))
        b.add_column(sa.Column("at_risk", sa.Boolean, nullable=False, server_default=sa.text("false")))
        b.add_column(sa.Column("delivery_status", sa.String(12), nullable=True))
        b.add_column(sa.Column("delivered_at_s", sa.Integer, nullable=True))
        b.add_column(sa.Column("failed_reason", sa.String(20), nullable=True))
        b.add_column(sa.Column("rebooked_from", sa.String(32), nullable=True))
    op.create_table(
        "driver_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scenario", sa.String(200), nullable=False, server_default=""),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("vehicle_id", sa.String(40), nullable=False),
        sa.Column("driver_name", sa.String(80), nullable=False, server_default=""),
        sa.Column("issued_by", sa.String(80), nullable=False, server_default=""),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_driver_tokens_date_vehicle", "driver_tokens", ["date", "vehicle_id"])
    op.create_table(
        "delivery_events",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("scenario", sa.String(200), nullable=False, server_default=""),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("plan_id", sa.Integer, nullable=False),
        sa.Column("vehicle_id", sa.String(40), nullable=False),
        sa.Column("stop_id", sa.String(80), nullable=True),
        sa.Column("order_id", sa.String(80), nullable=True),
        sa.Column("booking_id", sa.String(32), nullable=True),
        sa.Column("type", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(20), nullable=True),
        sa.Column("recipient", sa.String(80), nullable=True),
        sa.Column("at_s", sa.Integer, nullable=False),
        sa.Column("source", sa.String(12), nullable=False, server_default="driver"),
        sa.Column("reported_by", sa.String(80), nullable=False, server_default=""),
        sa.Column("received_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_delivery_events_day", "delivery_events", ["date", "vehicle_id", "at_s"])
    op.create_index("ix_delivery_events_booking", "delivery_events", ["booking_id"])
    op.create_table(
        "vehicle_outages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scenario", sa.String(200), nullable=False, server_default=""),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("vehicle_id", sa.String(40), nullable=False),
        sa.Column("from_s", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(80), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("scenario", "date", "vehicle_id", name="uq_vehicle_outages_day_vehicle"),
    )
    op.create_table(
        "feedback",
        sa.Column("booking_id", sa.String(32), primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("date", sa.String(10), nullable=False, index=True),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("categories_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("comment", sa.String(1000), nullable=True),
        sa.Column("plan_id", sa.Integer, nullable=True),
        sa.Column("vehicle_id", sa.String(40), nullable=True),
        sa.Column("stop_id", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("vehicle_outages")
    op.drop_table("delivery_events")
    op.drop_table("driver_tokens")
    with op.batch_alter_table("bookings") as b:
        for name in ("rebooked_from", "failed_reason", "delivered_at_s", "delivery_status", "at_risk", "live_eta_s"):
            b.drop_column(name)
