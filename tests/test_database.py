"""storage.database: opening the file, and refusing the ones this version must not use."""

from storage import schema
from storage.database import open_database


def test_a_file_is_opened_in_wal_with_the_store_pragmas(tmp_path):
    opened = open_database(tmp_path / "x.db")
    pragmas = {
        name: opened.db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
    }
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 5000,
        "synchronous": 1,
        "foreign_keys": 1,
    }
    assert opened.schema_version == len(schema.migrations.applied(opened.db)) == 3
    opened.db.close()


def test_memory_is_not_put_in_wal(tmp_path):
    opened = open_database(":memory:")
    assert opened.db.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
    assert opened.schema_version == 3
