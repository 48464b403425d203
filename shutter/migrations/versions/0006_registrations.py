"""registrations: approval of new accounts, invite links, and the instance's rules

`accounts.approved_at` is empty while a sign-up awaits approval
(SHUTTER_REGISTRATIONS=approval). Accounts made before approval existed were let in as
they signed up, so they count as approved when they were created. `credentials` keeps
what the person wrote when asking to join, and the invite they came with.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN and UPDATE (no batch): on SQLite a batch would recreate `accounts`
    # and drop the search triggers of 0002.
    op.add_column("accounts", sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE accounts SET approved_at = created_at WHERE approved_at IS NULL")
    op.add_column("credentials", sa.Column("signup_reason", sa.Text(), nullable=True))
    op.add_column("credentials", sa.Column("invite_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "invites",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_invites_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code", name=op.f("uq_invites_code")),
    )
    op.create_index(op.f("ix_invites_account_id"), "invites", ["account_id"])
    op.create_table(
        "instance_rules",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_rules")),
    )


def downgrade() -> None:
    op.drop_table("instance_rules")
    op.drop_index(op.f("ix_invites_account_id"), table_name="invites")
    op.drop_table("invites")
    op.drop_column("credentials", "invite_id")
    op.drop_column("credentials", "signup_reason")
    op.drop_column("accounts", "approved_at")
