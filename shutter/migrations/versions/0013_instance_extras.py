"""custom emojis, announcements (with dismissals and reactions), account preferences

`custom_emojis` belongs to the emojis service; `announcements`, their dismissals and
reactions, and `instance_texts` (extended description, privacy policy, terms of
service) to the instance service; `accounts.default_language` (`source[language]`) to
accounts.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: on SQLite a batch would recreate `accounts` and drop its search
    # triggers (migration 0002).
    op.add_column("accounts", sa.Column("default_language", sa.String(length=10), nullable=True))
    op.create_table(
        "custom_emojis",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("shortcode", sa.String(length=100), nullable=False),
        sa.Column("image_key", sa.String(length=200), nullable=False),
        sa.Column("static_key", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("visible_in_picker", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_emojis")),
        sa.UniqueConstraint("shortcode", name=op.f("uq_custom_emojis_shortcode")),
    )
    op.create_table(
        "instance_texts",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("effective_date", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_texts")),
    )
    op.create_table(
        "announcements",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("all_day", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    for table in ("announcement_dismissals", "announcement_reactions"):
        reaction = table == "announcement_reactions"
        op.create_table(
            table,
            sa.Column("announcement_id", sa.BigInteger(), nullable=False),
            sa.Column("account_id", sa.BigInteger(), nullable=False),
            *([sa.Column("name", sa.String(length=100), nullable=False)] if reaction else []),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["announcement_id"],
                ["announcements.id"],
                name=op.f(f"fk_{table}_announcement_id_announcements"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["account_id"],
                ["accounts.id"],
                name=op.f(f"fk_{table}_account_id_accounts"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(
                "announcement_id",
                "account_id",
                *(["name"] if reaction else []),
                name=op.f(f"pk_{table}"),
            ),
        )
        op.create_index(f"ix_{table}_account_id", table, ["account_id"])


def downgrade() -> None:
    for table in ("announcement_reactions", "announcement_dismissals"):
        op.drop_index(f"ix_{table}_account_id", table_name=table)
        op.drop_table(table)
    op.drop_table("announcements")
    op.drop_table("instance_texts")
    op.drop_table("custom_emojis")
    op.drop_column("accounts", "default_language")
