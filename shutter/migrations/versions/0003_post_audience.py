"""post audience: sensitive and spoiler text on posts, default audience on accounts

`posts.visibility` existed from the start but was always `public`; it is honoured now
(shutter/policies.py). Posts written before keep `public`: a locked author's posts still
reach followers only while the account stays locked, as before.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): on SQLite a batch would recreate `accounts` and drop
    # the search triggers of 0002.
    op.add_column(
        "posts", sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("posts", sa.Column("spoiler_text", sa.Text(), nullable=False, server_default=""))
    op.add_column("accounts", sa.Column("default_visibility", sa.String(length=10), nullable=True))
    op.add_column(
        "accounts",
        sa.Column("default_sensitive", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("accounts", "default_sensitive")
    op.drop_column("accounts", "default_visibility")
    op.drop_column("posts", "spoiler_text")
    op.drop_column("posts", "sensitive")
