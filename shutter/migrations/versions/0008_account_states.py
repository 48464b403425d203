"""account states: disabled, silenced (Mastodon's "limited"), sensitized, deactivated by
the owner, deleted

Each state is the time it began, NULL when it does not hold (`suspended_at` exists since
0001, `approved_at` NULL means pending since 0006). Who is shown is decided in one place,
`shutter/policies.py` (`account_shown`, `account_shown_sql`).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("disabled_at", "silenced_at", "sensitized_at", "deactivated_at", "deleted_at")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): on SQLite a batch would recreate `accounts` and drop
    # the search triggers of 0002. A nullable column is instant on both databases.
    for name in _COLUMNS:
        op.add_column("accounts", sa.Column(name, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        op.drop_column("accounts", name)
