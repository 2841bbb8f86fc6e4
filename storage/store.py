"""The Store: the database opened once, and its families of tables.

`store.tokens`, `store.messages` and `store.outbox` share one connection and one lock
(storage.base.Db); each family's module holds every SQL statement about its tables.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from storage import schema
from storage.base import Db
from storage.messages import Messages
from storage.outbox import Outbox
from storage.tokens import Tokens


class Store:
    def __init__(self, path: str | Path) -> None:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db = Database(conn)
        if str(path) != ":memory:":
            self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.schema_version = schema.apply(self.db)
        self._db = Db(self.db)
        self.tokens = Tokens(self._db)
        self.messages = Messages(self._db)
        self.outbox = Outbox(self._db)

    @property
    def write_fault(self) -> str | None:
        """Why the last write failed, while no write has worked since (for /healthz)."""
        return self._db.write_fault

    def check(self) -> bool:
        """The database answers a read (for /healthz)."""
        try:
            self._db.rows("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        with self._db.lock:
            self.db.close()
