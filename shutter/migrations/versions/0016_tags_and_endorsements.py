"""followed hashtags, featured hashtags, endorsed accounts, dismissed suggestions

`tag_follows` (posts): an account follows a hashtag; fan-out reads a tag's followers in
account order (`ix_tag_follows_tag`), `/api/v1/followed_tags` pages by row id.
`featured_tags` (posts): hashtags an account shows on its profile. `endorsements`
(graph): accounts an account features on its profile (Mastodon's account pins).
`suggestion_dismissals` (graph): accounts a user asked never to be suggested again.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _pair_table(name: str, target: str, target_table: str) -> None:
    """A table of (id, account_id, <target>, created_at), unique per pair."""
    op.create_table(
        name,
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column(target, sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f(f"fk_{name}_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            [target],
            [f"{target_table}.id"],
            name=op.f(f"fk_{name}_{target}_{target_table}"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("account_id", target, name=op.f(f"uq_{name}_account_id")),
    )


def upgrade() -> None:
    _pair_table("tag_follows", "tag_id", "tags")
    op.create_index("ix_tag_follows_tag", "tag_follows", ["tag_id", "account_id"])
    op.create_index("ix_tag_follows_account_id", "tag_follows", ["account_id", "id"])
    _pair_table("featured_tags", "tag_id", "tags")
    _pair_table("endorsements", "target_account_id", "accounts")
    op.create_index("ix_endorsements_account_id", "endorsements", ["account_id", "id"])
    op.create_table(
        "suggestion_dismissals",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("target_account_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_suggestion_dismissals_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_account_id"],
            ["accounts.id"],
            name=op.f("fk_suggestion_dismissals_target_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "target_account_id", name=op.f("pk_suggestion_dismissals")
        ),
    )


def downgrade() -> None:
    op.drop_table("suggestion_dismissals")
    op.drop_index("ix_endorsements_account_id", table_name="endorsements")
    op.drop_table("endorsements")
    op.drop_table("featured_tags")
    op.drop_index("ix_tag_follows_account_id", table_name="tag_follows")
    op.drop_index("ix_tag_follows_tag", table_name="tag_follows")
    op.drop_table("tag_follows")
