"""account and hashtag search indexes (hand-written: the DDL differs by dialect)

PostgreSQL: the pg_trgm extension and GIN trigram indexes on `accounts.username_lower`
and `accounts.display_name` (and `tags.name`); they serve prefix (LIKE/ILIKE 'q%', '% q%') and fuzzy
(`%`, similarity) matches alike. pg_trgm is a trusted extension (PostgreSQL 13+), so
the database owner may create it without superuser rights.

SQLite: an FTS5 table `accounts_search` with the trigram tokenizer (SQLite 3.34+),
kept in step with `accounts` by triggers; its rowid is the account id. A trigram
MATCH finds the candidates of a fuzzy query; ranking happens in Python with the same
similarity pg_trgm computes (shutter/accounts/search.py).

A later batch migration of `accounts` on SQLite recreates the table and drops its
triggers: it must recreate them.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE accounts_search USING fts5("
    "username_lower, display_name, tokenize='trigram')",
    "INSERT INTO accounts_search(rowid, username_lower, display_name) "
    "SELECT id, username_lower, display_name FROM accounts",
    "CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN "
    "INSERT INTO accounts_search(rowid, username_lower, display_name) "
    "VALUES (new.id, new.username_lower, new.display_name); END",
    "CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN "
    "DELETE FROM accounts_search WHERE rowid = old.id; END",
    "CREATE TRIGGER accounts_search_update AFTER UPDATE OF username_lower, display_name "
    "ON accounts BEGIN "
    "UPDATE accounts_search SET username_lower = new.username_lower, "
    "display_name = new.display_name WHERE rowid = old.id; END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS accounts_search_update",
    "DROP TRIGGER IF EXISTS accounts_search_delete",
    "DROP TRIGGER IF EXISTS accounts_search_insert",
    "DROP TABLE IF EXISTS accounts_search",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_accounts_username_trgm "
    "ON accounts USING gin (username_lower gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_accounts_display_name_trgm "
    "ON accounts USING gin (display_name gin_trgm_ops)",
    # Hashtag prefix search (LIKE 'q%' in a non-C collation cannot use the btree index).
    "CREATE INDEX IF NOT EXISTS ix_tags_name_trgm ON tags USING gin (name gin_trgm_ops)",
]
# The extension stays: other objects may have come to depend on it.
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_tags_name_trgm",
    "DROP INDEX IF EXISTS ix_accounts_display_name_trgm",
    "DROP INDEX IF EXISTS ix_accounts_username_trgm",
]


def _run(statements: dict[str, list[str]]) -> None:
    for statement in statements.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN})
