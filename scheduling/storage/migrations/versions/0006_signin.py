"""accounts: a session version per user (sign-out everywhere), sign-in throttling

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as b:
        b.add_column(sa.Column("session_version", sa.Integer, nullable=False, server_default="1"))
        b.add_column(sa.Column("failed_signins", sa.Integer, nullable=False, server_default="0"))
        b.add_column(sa.Column("locked_until", sa.DateTime, nullable=True))
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("username", sa.String(80), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_signin_failures_address_at", "signin_failures", ["address", "at"])
    op.create_index("ix_signin_failures_username_at", "signin_failures", ["username", "at"])


def downgrade() -> None:
    op.drop_index("ix_signin_failures_username_at", "signin_failures")
    op.drop_index("ix_signin_failures_address_at", "signin_failures")
    op.drop_table("signin_failures")
    with op.batch_alter_table("users") as b:
        for name in ("locked_until", "failed_signins", "session_version"):
            b.drop_column(name)
