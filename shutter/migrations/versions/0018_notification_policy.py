"""notification policy and notification requests

`notification_policies` (per account: accept, filter or drop notifications from people
it does not follow, who do not follow it, new accounts, private mentions, limited
accounts), `notification_requests` (the filtered mentions of one sender to one
recipient, with their count and last post), `notification_permissions` (senders whose
request was accepted: never filtered again) and the `filtered` mark on notifications.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account_fk(table: str, column: str = "account_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["accounts.id"],
        name=op.f(f"fk_{table}_{column}_accounts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.add_column(
        "notifications",
        sa.Column("filtered", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index("ix_notifications_sender", "notifications", ["account_id", "from_account_id"])

    op.create_table(
        "notification_policies",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("for_not_following", sa.String(length=10), nullable=False),
        sa.Column("for_not_followers", sa.String(length=10), nullable=False),
        sa.Column("for_new_accounts", sa.String(length=10), nullable=False),
        sa.Column("for_private_mentions", sa.String(length=10), nullable=False),
        sa.Column("for_limited_accounts", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _account_fk("notification_policies"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_notification_policies")),
    )

    op.create_table(
        "notification_requests",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("from_account_id", sa.BigInteger(), nullable=False),
        sa.Column("last_status_id", sa.BigInteger(), nullable=True),
        sa.Column("notifications_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _account_fk("notification_requests"),
        _account_fk("notification_requests", "from_account_id"),
        sa.ForeignKeyConstraint(
            ["last_status_id"],
            ["posts.id"],
            name=op.f("fk_notification_requests_last_status_id_posts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_requests")),
        sa.UniqueConstraint(
            "account_id", "from_account_id", name=op.f("uq_notification_requests_account_id")
        ),
    )
    op.create_index(
        "ix_notification_requests_account", "notification_requests", ["account_id", "id"]
    )
    op.create_index("ix_notification_requests_from", "notification_requests", ["from_account_id"])

    op.create_table(
        "notification_permissions",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("from_account_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _account_fk("notification_permissions"),
        _account_fk("notification_permissions", "from_account_id"),
        sa.PrimaryKeyConstraint(
            "account_id", "from_account_id", name=op.f("pk_notification_permissions")
        ),
    )
    op.create_index(
        "ix_notification_permissions_from", "notification_permissions", ["from_account_id"]
    )


def downgrade() -> None:
    op.drop_table("notification_permissions")
    op.drop_table("notification_requests")
    op.drop_table("notification_policies")
    op.drop_index("ix_notifications_sender", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("filtered")
