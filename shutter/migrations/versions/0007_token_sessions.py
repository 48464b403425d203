"""token sessions: where a token was issued, and when, where and from what it was last used

The owner's sessions list (`GET /api/v1/shutter/sessions`) shows each token's app,
device (User-Agent), address and last use. Tokens issued before have none of it until
their next use.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("issued_ip", sa.String(length=64)),
    ("issued_user_agent", sa.String(length=255)),
    ("last_used_at", sa.DateTime(timezone=True)),
    ("last_ip", sa.String(length=64)),
    ("last_user_agent", sa.String(length=255)),
)


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild on SQLite; a nullable column is instant on both.
    for name, type_ in _COLUMNS:
        op.add_column("oauth_tokens", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _type in reversed(_COLUMNS):
        op.drop_column("oauth_tokens", name)
