"""Database-side guarantees for lists: frozen published versions and the Chinese search index."""

from django.db.backends.base.base import BaseDatabaseWrapper

# DESIGN.md invariant 1: an item of a published or superseded version is never inserted,
# changed or deleted, whatever code runs against the database.
_FROZEN_SQLITE = (
    """(SELECT status FROM catalog_listversion WHERE id = {row}.version_id) <> 'draft'"""
)
FROZEN_INSTALL = {
    "sqlite": [
        f"""CREATE TRIGGER IF NOT EXISTS catalog_item_frozen_{op} BEFORE {op.upper()}
            ON catalog_item WHEN {_FROZEN_SQLITE.format(row=row)}
            BEGIN SELECT RAISE(ABORT, 'published list versions are immutable'); END"""
        for op, row in (("insert", "NEW"), ("update", "OLD"), ("delete", "OLD"))
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION catalog_item_frozen() RETURNS trigger AS $$
           DECLARE vid bigint;
           BEGIN
             IF TG_OP = 'INSERT' THEN vid := NEW.version_id; ELSE vid := OLD.version_id; END IF;
             IF (SELECT status FROM catalog_listversion WHERE id = vid) <> 'draft' THEN
               RAISE EXCEPTION 'published list versions are immutable';
             END IF;
             IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
             RETURN NEW;
           END; $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS catalog_item_frozen ON catalog_item",
        """CREATE TRIGGER catalog_item_frozen BEFORE INSERT OR UPDATE OR DELETE ON catalog_item
           FOR EACH ROW EXECUTE FUNCTION catalog_item_frozen()""",
    ],
}
FROZEN_REMOVE = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS catalog_item_frozen_{op}" for op in ("insert", "update", "delete")
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS catalog_item_frozen ON catalog_item",
        "DROP FUNCTION IF EXISTS catalog_item_frozen()",
    ],
}

# Chinese has no word breaks, so substring search uses trigrams: SQLite's FTS5 trigram
# tokenizer (an external-content index kept current by triggers), PostgreSQL's pg_trgm.
SEARCH_INSTALL = {
    "sqlite": [
        """CREATE VIRTUAL TABLE IF NOT EXISTS catalog_item_fts USING fts5(name, legal_law, legal_text,
            content='catalog_item', content_rowid='id', tokenize='trigram')""",
        """CREATE TRIGGER IF NOT EXISTS catalog_item_fts_insert AFTER INSERT ON catalog_item BEGIN
            INSERT INTO catalog_item_fts(rowid, name, legal_law, legal_text)
            VALUES (NEW.id, NEW.name, NEW.legal_law, NEW.legal_text); END""",
        """CREATE TRIGGER IF NOT EXISTS catalog_item_fts_delete AFTER DELETE ON catalog_item BEGIN
            INSERT INTO catalog_item_fts(catalog_item_fts, rowid, name, legal_law, legal_text)
            VALUES ('delete', OLD.id, OLD.name, OLD.legal_law, OLD.legal_text); END""",
        """CREATE TRIGGER IF NOT EXISTS catalog_item_fts_update AFTER UPDATE ON catalog_item BEGIN
            INSERT INTO catalog_item_fts(catalog_item_fts, rowid, name, legal_law, legal_text)
            VALUES ('delete', OLD.id, OLD.name, OLD.legal_law, OLD.legal_text);
            INSERT INTO catalog_item_fts(rowid, name, legal_law, legal_text)
            VALUES (NEW.id, NEW.name, NEW.legal_law, NEW.legal_text); END""",
    ],
    "postgresql": [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        *(
            f"CREATE INDEX IF NOT EXISTS catalog_item_{column}_trgm ON catalog_item "
            f"USING gin ({column} gin_trgm_ops)"
            for column in ("name", "legal_law", "legal_text")
        ),
    ],
}
SEARCH_REMOVE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS catalog_item_fts_insert",
        "DROP TRIGGER IF EXISTS catalog_item_fts_delete",
        "DROP TRIGGER IF EXISTS catalog_item_fts_update",
        "DROP TABLE IF EXISTS catalog_item_fts",
    ],
    "postgresql": [
        f"DROP INDEX IF EXISTS catalog_item_{column}_trgm"
        for column in ("name", "legal_law", "legal_text")
    ],
}


def _execute(connection: BaseDatabaseWrapper, statements: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for statement in statements.get(connection.vendor, []):
            cursor.execute(statement)


def frozen_guard_install(connection: BaseDatabaseWrapper) -> None:
    _execute(connection, FROZEN_INSTALL)


def frozen_guard_remove(connection: BaseDatabaseWrapper) -> None:
    _execute(connection, FROZEN_REMOVE)


def search_index_install(connection: BaseDatabaseWrapper) -> None:
    _execute(connection, SEARCH_INSTALL)


def search_index_remove(connection: BaseDatabaseWrapper) -> None:
    _execute(connection, SEARCH_REMOVE)
