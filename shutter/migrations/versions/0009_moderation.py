"""moderation: reports, account warnings, the audit log, and notifications about them

`reports` are what people file against an account (Mastodon's Report), with the posts
and rules they name; `account_warnings` tell an account what moderators did to it
(Mastodon's AccountWarning); `moderation_actions` is the audit log, kept when its actor
or target goes. A notification about a report or a warning names it in `subject_id`.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.BigInteger(),
        sa.ForeignKey("accounts.id", ondelete="CASCADE" if not nullable else "SET NULL"),
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        _account("account_id"),
        _account("target_account_id"),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("status_ids", sa.JSON(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("forwarded", sa.Boolean(), nullable=False),
        _account("assigned_account_id", nullable=True),
        _account("action_taken_by_account_id", nullable=True),
        sa.Column("action_taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reports_target", "reports", ["target_account_id", "id"])
    op.create_index("ix_reports_account", "reports", ["account_id", "id"])
    op.create_index("ix_reports_open", "reports", ["action_taken_at", "id"])
    op.create_table(
        "account_warnings",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        _account("account_id", nullable=True),
        _account("target_account_id"),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=True),
        sa.Column("status_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_warnings_target", "account_warnings", ["target_account_id", "id"])
    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Plain ADD COLUMN: nullable, instant on both databases.
    op.add_column("notifications", sa.Column("subject_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("notifications", "subject_id")
    op.drop_table("moderation_actions")
    op.drop_index("ix_account_warnings_target", table_name="account_warnings")
    op.drop_table("account_warnings")
    op.drop_index("ix_reports_open", table_name="reports")
    op.drop_index("ix_reports_account", table_name="reports")
    op.drop_index("ix_reports_target", table_name="reports")
    op.drop_table("reports")
