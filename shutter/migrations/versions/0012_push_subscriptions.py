"""push subscriptions: Web Push endpoints that notifications are delivered to

One row per access token (Mastodon's rule): the browser's or app's push endpoint, its
P-256 public key and auth secret (RFC 8291), the alerts and policy that choose which
notifications are pushed, and the token sealed with the instance's key (the payload
carries it back, as Mastodon's does). A purged token takes its subscription along.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("key_p256dh", sa.String(length=100), nullable=False),
        sa.Column("key_auth", sa.String(length=32), nullable=False),
        sa.Column("alerts", sa.String(length=300), nullable=False),
        sa.Column("policy", sa.String(length=10), nullable=False),
        sa.Column("sealed_token", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["oauth_tokens.id"],
            name=op.f("fk_push_subscriptions_token_id_oauth_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_push_subscriptions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("token_id", name=op.f("uq_push_subscriptions_token_id")),
    )
    op.create_index("ix_push_subscriptions_account", "push_subscriptions", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_push_subscriptions_account", table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
