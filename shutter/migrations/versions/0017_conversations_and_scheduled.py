"""direct-message conversations and scheduled posts

`conversations` (an account's direct-message threads, one per set of other accounts)
with `conversation_statuses` (their messages), `scheduled_statuses` (posts to publish
later) and `media.scheduled_status_id` (media held for a scheduled post).

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("participant_key", sa.String(length=1000), nullable=False),
        sa.Column("participant_ids", sa.JSON(), nullable=False),
        sa.Column("last_status_id", sa.BigInteger(), nullable=True),
        sa.Column("unread", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_conversations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint(
            "account_id", "participant_key", name=op.f("uq_conversations_account_id")
        ),
    )
    op.create_index(
        "ix_conversations_account_last", "conversations", ["account_id", "last_status_id"]
    )
    op.create_table(
        "conversation_statuses",
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_statuses_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_conversation_statuses_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "conversation_id", "post_id", name=op.f("pk_conversation_statuses")
        ),
    )
    op.create_index("ix_conversation_statuses_post", "conversation_statuses", ["post_id"])
    op.create_table(
        "scheduled_statuses",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_scheduled_statuses_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_statuses")),
    )
    op.create_index("ix_scheduled_statuses_account", "scheduled_statuses", ["account_id", "id"])
    op.create_index(
        "ix_scheduled_statuses_account_at", "scheduled_statuses", ["account_id", "scheduled_at"]
    )
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("scheduled_status_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_media_scheduled", "media", ["scheduled_status_id"])


def downgrade() -> None:
    op.drop_index("ix_media_scheduled", table_name="media")
    with op.batch_alter_table("media") as batch:
        batch.drop_column("scheduled_status_id")
    op.drop_index("ix_scheduled_statuses_account_at", table_name="scheduled_statuses")
    op.drop_index("ix_scheduled_statuses_account", table_name="scheduled_statuses")
    op.drop_table("scheduled_statuses")
    op.drop_index("ix_conversation_statuses_post", table_name="conversation_statuses")
    op.drop_table("conversation_statuses")
    op.drop_index("ix_conversations_account_last", table_name="conversations")
    op.drop_table("conversations")
