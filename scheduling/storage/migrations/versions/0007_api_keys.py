"""shops' API keys: several per shop, with scopes, rotation and revocation

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("key_hash", sa.String(128), nullable=False, unique=True),
        sa.Column("scopes", sa.String(100), nullable=False, server_default="read,book"),
        sa.Column("label", sa.String(80), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_api_keys_shop", "api_keys", ["shop_id"])
    # Every shop's existing key becomes its first key, with both scopes.
    op.execute(
        "INSERT INTO api_keys (shop_id, key_hash, scopes, label, created_at) "
        "SELECT id, api_key_hash, 'read,book', 'first key', CURRENT_TIMESTAMP FROM shops"
    )


def downgrade() -> None:
    op.drop_index("ix_api_keys_shop", "api_keys")
    op.drop_table("api_keys")
