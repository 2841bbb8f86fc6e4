"""Opening the SQLite file: one connection, set up the way the Store's threads need it.

The Store shares this one connection between threads behind its own lock, so the connection is
made with `check_same_thread=False`, and in autocommit mode (`isolation_level=None`) because the
Store begins its own `BEGIN IMMEDIATE` transactions.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from storage import schema


@dataclass(frozen=True)
class OpenedDatabase:
    """The connection, and the schema version it was brought to (shown by /healthz)."""

    db: Database
    schema_version: int


def open_database(path: str | Path) -> OpenedDatabase:
    """Open (or create) the database at `path` and bring its schema up to date."""
    name = str(path)
    conn = sqlite3.connect(name, check_same_thread=False, isolation_level=None)
    db = Database(conn)
    if name != ":memory:":
        db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    return OpenedDatabase(db=db, schema_version=schema.apply(db))
