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
        # The key's first characters (``lm_`` and 8 more), to name it in lists; "" for keys made before 0007.
        sa.Column("prefix", sa.String(16), nullable=False, server_default=""),
        sa.Column("scopes", sa.String(100), nullable=False, server_default="read,book"),
        sa.Column("label", sa.String(80), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_api_keys_shop", "api_keys", ["shop_id"])
    # Every shop's existing key becomes its first key, with both scopes (its prefix is unknown:
    # only the hash was stored). Times in these tables are naive UTC on both databases.
    now = "timezone('utc', now())" if op.get_bind().dialect.name == "postgresql" else "CURRENT_TIMESTAMP"
    op.execute(
        "INSERT INTO api_keys (shop_id, key_hash, prefix, scopes, label, created_at) "
        f"SELECT id, api_key_hash, '', 'read,book', 'first key', {now} FROM shops"
    )


def downgrade() -> None:
    op.drop_index("ix_api_keys_shop", "api_keys")
    op.drop_table("api_keys")
