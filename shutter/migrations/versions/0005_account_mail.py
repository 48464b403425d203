"""account mail: single-use links mailed to accounts, and confirmed addresses

`credential_tokens` holds the links of password resets and address confirmations (their
SHA-256 only). Accounts made before confirmation existed were accepted without one, so
they count as confirmed: turning SHUTTER_REQUIRE_EMAIL_CONFIRMATION on asks it of new
sign-ups, and locks no one out.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credential_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_credential_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_credential_tokens")),
    )
    op.create_index(op.f("ix_credential_tokens_account_id"), "credential_tokens", ["account_id"])
    # A plain UPDATE of `credentials` (no batch: nothing about `accounts` changes, and a
    # batch there would drop the search triggers of 0002).
    op.execute("UPDATE credentials SET confirmed_at = created_at WHERE confirmed_at IS NULL")


def downgrade() -> None:
    op.drop_index(op.f("ix_credential_tokens_account_id"), table_name="credential_tokens")
    op.drop_table("credential_tokens")
