"""pinned posts, personal notes on accounts, muted conversations, blocked domains

`status_pins` (posts: an author's pinned posts), `conversation_mutes` (posts: threads an
account muted, by their top post), `account_notes` (graph: a private note about another
account) and `account_domain_blocks` (graph: domains an account blocked). Each row goes
with its account and, where it names one, its post or target account.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account_fk(table: str, column: str = "account_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["accounts.id"],
        name=op.f(f"fk_{table}_{column}_accounts"),
        ondelete="CASCADE",
    )


def _post_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["post_id"], ["posts.id"], name=op.f(f"fk_{table}_post_id_posts"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "status_pins",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _account_fk("status_pins"),
        _post_fk("status_pins"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_pins")),
        sa.UniqueConstraint("account_id", "post_id", name=op.f("uq_status_pins_account_id")),
    )
    op.create_index("ix_status_pins_account_id", "status_pins", ["account_id", "id"])
    op.create_index("ix_status_pins_post_id", "status_pins", ["post_id"])

    op.create_table(
        "conversation_mutes",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _account_fk("conversation_mutes"),
        _post_fk("conversation_mutes"),
        sa.PrimaryKeyConstraint("account_id", "post_id", name=op.f("pk_conversation_mutes")),
    )
    op.create_index("ix_conversation_mutes_post_id", "conversation_mutes", ["post_id"])

    op.create_table(
        "account_notes",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("target_account_id", sa.BigInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _account_fk("account_notes"),
        _account_fk("account_notes", "target_account_id"),
        sa.PrimaryKeyConstraint("account_id", "target_account_id", name=op.f("pk_account_notes")),
    )
    op.create_index("ix_account_notes_target", "account_notes", ["target_account_id"])

    op.create_table(
        "account_domain_blocks",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _account_fk("account_domain_blocks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_domain_blocks")),
        sa.UniqueConstraint(
            "account_id", "domain", name=op.f("uq_account_domain_blocks_account_id")
        ),
    )
    op.create_index(
        "ix_account_domain_blocks_account_id", "account_domain_blocks", ["account_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_account_domain_blocks_account_id", table_name="account_domain_blocks")
    op.drop_table("account_domain_blocks")
    op.drop_index("ix_account_notes_target", table_name="account_notes")
    op.drop_table("account_notes")
    op.drop_index("ix_conversation_mutes_post_id", table_name="conversation_mutes")
    op.drop_table("conversation_mutes")
    op.drop_index("ix_status_pins_post_id", table_name="status_pins")
    op.drop_index("ix_status_pins_account_id", table_name="status_pins")
    op.drop_table("status_pins")
