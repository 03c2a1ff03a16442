"""tier trust per shop (allowed tiers, premium share cap) and quoted fees on bookings

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as b:
        b.add_column(sa.Column("allowed_tiers", sa.String(400), nullable=True))
        b.add_column(sa.Column("premium_share_max", sa.Float, nullable=True))
        b.add_column(sa.Column("premium_floor", sa.Integer, nullable=False, server_default="10"))
    with op.batch_alter_table("bookings") as b:
        b.add_column(sa.Column("fee_quoted", sa.Boolean, nullable=False, server_default=sa.text("false")))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as b:
        b.drop_column("fee_quoted")
    with op.batch_alter_table("shops") as b:
        for name in ("premium_floor", "premium_share_max", "allowed_tiers"):
            b.drop_column(name)
