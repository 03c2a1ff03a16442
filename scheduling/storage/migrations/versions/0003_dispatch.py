"""booking fields a route needs, publication of ETAs, the shops' event outbox, solve jobs

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_LIVE_SQL = "status IN ('held', 'confirmed') AND order_ref IS NOT NULL"


def upgrade() -> None:
    # Existing bookings stay valid: every new column is nullable or has a server default.
    with op.batch_alter_table("bookings") as b:
        b.add_column(sa.Column("order_ref", sa.String(80), nullable=True))
        b.add_column(sa.Column("address", sa.String(200), nullable=True))
        b.add_column(sa.Column("bulky", sa.Boolean, nullable=False, server_default=sa.text("false")))
        b.add_column(sa.Column("instructions", sa.String(500), nullable=True))
        b.add_column(sa.Column("notify", sa.String(10), nullable=False, server_default="none"))
        b.add_column(sa.Column("planned_plan_id", sa.Integer, nullable=True))
        b.add_column(sa.Column("planned_vehicle_id", sa.String(40), nullable=True))
        b.add_column(sa.Column("planned_arrival_s", sa.Integer, nullable=True))
        b.add_column(sa.Column("eta_start_s", sa.Integer, nullable=True))
        b.add_column(sa.Column("eta_end_s", sa.Integer, nullable=True))
        b.add_column(sa.Column("planned_at", sa.DateTime, nullable=True))
    op.create_index(
        "uq_bookings_shop_order_ref_live",
        "bookings",
        ["shop_id", "order_ref"],
        unique=True,
        sqlite_where=sa.text(_LIVE_SQL),
        postgresql_where=sa.text(_LIVE_SQL),
    )
    with op.batch_alter_table("shops") as b:
        b.add_column(sa.Column("webhook_url", sa.String(500), nullable=True))
        b.add_column(sa.Column("webhook_secret", sa.String(128), nullable=True))
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("date", sa.String(10), nullable=False, index=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("published_by", sa.String(80), nullable=False, server_default=""),
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.Column("eta_width_s", sa.Integer, nullable=False),
        sa.Column("bookings_planned", sa.Integer, nullable=False, server_default="0"),
        sa.Column("bookings_unserved", sa.Integer, nullable=False, server_default="0"),
        sa.Column("forced", sa.Boolean, nullable=False, server_default=sa.text("false")),
    )
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("booking_id", sa.String(32), nullable=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("lease_until", sa.DateTime, nullable=True),
        sa.Column("delivered_at", sa.DateTime, nullable=True),
        sa.Column("gave_up_at", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
    )
    op.create_index("ix_outbox_pending", "outbox_events", ["delivered_at", "gave_up_at", "next_attempt_at"])
    op.create_index("ix_outbox_shop_id", "outbox_events", ["shop_id", "id"])
    op.create_index("ix_outbox_booking", "outbox_events", ["booking_id", "id"])
    op.create_table(
        "solve_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(80), nullable=False, server_default=""),
        sa.Column("tag", sa.String(40), nullable=False, server_default=""),
        sa.Column("scenario", sa.String(200), nullable=False, server_default=""),
        sa.Column("params_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("state", sa.String(12), nullable=False, server_default="queued"),
        sa.Column("stage", sa.String(200), nullable=False, server_default="waiting for a free solver"),
        sa.Column("time_limit_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("best_cost", sa.Float, nullable=True),
        sa.Column("improvements", sa.Integer, nullable=False, server_default="0"),
        sa.Column("done_share", sa.Float, nullable=True),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("result_plan_id", sa.Integer, nullable=True),
        sa.Column("stop_requested", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("heartbeat_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_solve_jobs_tag_state", "solve_jobs", ["tag", "state"])


def downgrade() -> None:
    op.drop_table("solve_jobs")
    op.drop_table("outbox_events")
    op.drop_table("publications")
    with op.batch_alter_table("shops") as b:
        b.drop_column("webhook_secret")
        b.drop_column("webhook_url")
    op.drop_index("uq_bookings_shop_order_ref_live", table_name="bookings")
    with op.batch_alter_table("bookings") as b:
        for name in ("planned_at", "eta_end_s", "eta_start_s", "planned_arrival_s", "planned_vehicle_id",
                     "planned_plan_id", "notify", "instructions", "bulky", "address", "order_ref"):
            b.drop_column(name)
