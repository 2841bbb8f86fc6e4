"""The one SQLite connection the app's threads share, and its write transactions.

Bolt listeners, workers, posters and the poller write from different threads, so every
operation holds `lock`, and every write runs in `BEGIN IMMEDIATE` (a deferred transaction that
later writes can fail with SQLITE_BUSY when another process holds the file). A write that fails
because the storage itself fails (disk full, read-only) is remembered for /healthz and raised
as StorageUnavailable, so callers can tell people the truth instead of "something went wrong".
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlite_utils import Database

from storage.database import is_storage_fault

logger = logging.getLogger(__name__)


class StorageUnavailable(Exception):
    """The database cannot be written right now (disk full, read-only file, I/O error)."""


class Db:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.lock = threading.RLock()
        self.write_fault: str | None = None  # the last write's storage failure, until one works

    @contextmanager
    def write(self) -> Iterator[Database]:
        with self.lock:
            changes_before = self.db.conn.total_changes
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    yield self.db
                except BaseException:
                    self._rollback_quietly()  # SQLite may have rolled back already (SQLITE_FULL)
                    raise
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                if not (is_storage_fault(exc) or _busy(exc)):
                    raise
                self._rollback_quietly()
                if self.write_fault is None:
                    logger.error("The database cannot be written: %s", exc)
                self.write_fault = str(exc)
                raise StorageUnavailable(str(exc)) from exc
            if self.write_fault is not None and self.db.conn.total_changes != changes_before:
                logger.warning(
                    "The database can be written again"
                )  # a real write, not an idle claim
                self.write_fault = None

    def _rollback_quietly(self) -> None:
        if self.db.conn.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                logger.debug("Rollback after a storage fault failed too", exc_info=True)

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.db.query(sql, params))


def _busy(exc: sqlite3.Error) -> bool:
    """Another process held the write lock past busy_timeout: for now, nothing can be written."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
