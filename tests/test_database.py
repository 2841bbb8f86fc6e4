"""storage.database: opening the file, and refusing the ones this version must not use."""

import sqlite3

import pytest
from sqlite_utils import Database

from storage import schema
from storage.database import StorageError, open_database


def make_database(path, user_version=None, extra_migration=None, stop_before=None):
    """A database file as some version of the app left it."""
    db = sqlite3.connect(path, isolation_level=None)
    schema.migrations.apply(Database(db), stop_before=stop_before)
    if extra_migration:
        db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
            ["heynow-slack", extra_migration, "2030-01-01 00:00:00+00:00"],
        )
    if user_version is not None:
        db.execute(f"PRAGMA user_version = {user_version}")
    db.close()
    return path


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


def test_memory_is_not_put_in_wal():
    opened = open_database(":memory:")
    assert opened.db.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
    assert opened.schema_version == 3


# -- a database from a newer version -------------------------------------------------------


def test_a_schema_version_beyond_ours_is_refused(tmp_path):
    path = make_database(tmp_path / "newer.db", user_version=4)
    with pytest.raises(StorageError) as caught:
        open_database(path)
    assert caught.value.path == str(path)
    assert str(caught.value) == (
        f"{path}: written by a newer version of heynow-slack (schema 4; this version knows 3): "
        "run that version, or restore a backup"
    )


def test_a_migration_we_do_not_know_is_refused(tmp_path):
    path = make_database(tmp_path / "newer.db", extra_migration="m004_add_reactions")
    with pytest.raises(StorageError, match=r"newer version of heynow-slack \(schema 4; this"):
        open_database(path)


def test_nothing_is_migrated_on_a_database_from_a_newer_version(tmp_path):
    path = make_database(tmp_path / "newer.db", user_version=9, stop_before="m002_create_messages")
    with pytest.raises(StorageError):
        open_database(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 9
    assert [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations")] == [
        "m001_create_tokens"
    ]
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'messages'").fetchone() is None
