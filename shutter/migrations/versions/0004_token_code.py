"""token lineage: the authorization code a token comes from

`oauth_tokens.code_hash` names the code a token was issued from, directly or by
refreshes, so that a replayed code revokes everything it gave (RFC 6749 §4.1.2).
Tokens issued before have none and are left alone.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild on SQLite; a nullable column is instant on both.
    op.add_column("oauth_tokens", sa.Column("code_hash", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_oauth_tokens_code_hash"), "oauth_tokens", ["code_hash"])


def downgrade() -> None:
    op.drop_index(op.f("ix_oauth_tokens_code_hash"), table_name="oauth_tokens")
    op.drop_column("oauth_tokens", "code_hash")
