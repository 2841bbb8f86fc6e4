"""The Store: the database opened once, and its families of tables.

`store.tokens`, `store.messages`, `store.outbox`, `store.mass` and `store.team` share one connection and one lock
(storage.base.Db); each family's module holds every SQL statement about its tables.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.base import Db
from storage.database import open_database
from storage.digest import Digests
from storage.history import History
from storage.home import HomeViews
from storage.mass import MassSends
from storage.messages import Messages
from storage.outbox import Outbox
from storage.team import Team
from storage.tokens import Tokens


class Store:
    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._checkpointer: sqlite3.Connection | None = None
        opened = open_database(path)
        self.db = opened.db
        self.schema_version = opened.schema_version
        self._db = Db(self.db)
        self.tokens = Tokens(self._db)
        self.messages = Messages(self._db)
        self.outbox = Outbox(self._db)
        self.mass = MassSends(self._db)
        self.team = Team(self._db)
        self.home = HomeViews(self._db)
        self.history = History(self._db)
        self.digest = Digests(self._db)

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

    def checkpoint(self) -> None:
        """Copy the WAL back into the database file, from a connection of its own: a PASSIVE
        checkpoint takes no lock writers wait for, so its fsync never stalls a request."""
        if self._path == ":memory:":
            return
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False
            )
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        with self._db.lock:
            self.db.close()
        if self._checkpointer is not None:
            self._checkpointer.close()
