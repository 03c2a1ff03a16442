"""customers' data: personalization consent, anonymized rows, the audit log

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as b:
        b.add_column(sa.Column("personalization_consent", sa.Boolean, nullable=False, server_default=sa.text("false")))
        b.add_column(sa.Column("anonymized_at", sa.DateTime, nullable=True))
    with op.batch_alter_table("customer_profiles") as b:
        b.add_column(sa.Column("consented_at", sa.DateTime, nullable=True))
    # No consent was ever recorded for the profiles kept so far: they have no basis to stay.
    # The next booking with consent writes the profile again.
    op.execute("DELETE FROM customer_profiles")
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    with op.batch_alter_table("customer_profiles") as b:
        b.drop_column("consented_at")
    with op.batch_alter_table("bookings") as b:
        b.drop_column("anonymized_at")
        b.drop_column("personalization_consent")
