"""Opening the SQLite file: one connection, set up the way the Store's threads need it.

The Store shares this one connection between threads behind its own lock, so the connection is
made with `check_same_thread=False`, and in autocommit mode (`isolation_level=None`) because the
Store begins its own `BEGIN IMMEDIATE` transactions.

A file this version must not use (damaged, written by a newer version, not writable) stops
start-up with one StorageError line instead of failing later on every send; the file itself is
kept readable by its owner only, since it holds the Hey Now bearer token.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from storage import schema

logger = logging.getLogger(__name__)

# The primary result codes that mean the file or the disk under it is failing, as opposed to a
# mistake in our SQL: no retry or code change helps, a person must look at the machine.
_STORAGE_FAULTS = frozenset(
    {
        sqlite3.SQLITE_FULL,  # database or disk is full
        sqlite3.SQLITE_READONLY,  # attempt to write a readonly database
        sqlite3.SQLITE_IOERR,  # disk I/O error
        sqlite3.SQLITE_CANTOPEN,  # unable to open database file
        sqlite3.SQLITE_CORRUPT,  # database disk image is malformed
        sqlite3.SQLITE_NOTADB,  # file is not a database
    }
)


class StorageError(Exception):
    """The database file cannot be used; the message names the file and what to do."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def is_storage_fault(exc: BaseException) -> bool:
    """True when `exc` says the storage itself is failing (full, read-only, I/O, cannot open,
    damaged), so that a caller can say so plainly instead of "Something went wrong".

    Programming errors (IntegrityError, a wrong column, a closed connection) are not faults, and
    neither is "database is locked": that is another process holding the lock, and a retry can
    succeed. The test is on SQLite's result code (masked to its primary code, since SQLite
    reports extended ones like SQLITE_IOERR_READ), not on the message text.
    """
    if isinstance(exc, StorageError):
        return True
    code = getattr(exc, "sqlite_errorcode", None) if isinstance(exc, sqlite3.Error) else None
    return code is not None and code & 0xFF in _STORAGE_FAULTS


@dataclass(frozen=True)
class OpenedDatabase:
    """The connection, and the schema version it was brought to (shown by /healthz)."""

    db: Database
    schema_version: int


FALLBACK_CHECKPOINT_PAGES = 10_000  # 40 MB of WAL
# How long a write waits for another process's: under Slack's 3 s for an ack, so that a send
# recorded late is answered "nothing was sent, try again" instead of being acked too late.
BUSY_TIMEOUT_MS = 2000


def open_database(path: str | Path) -> OpenedDatabase:
    """Open (or create) the database at `path` and bring its schema up to date.

    Raises StorageError, before anything is written, when the file cannot be used: not a
    database, damaged, written by a newer version, or not openable or writable. Other errors
    are bugs and propagate as they are.
    """
    name = str(path)
    on_disk = name != ":memory:"
    conn: sqlite3.Connection | None = None
    try:
        if on_disk:
            os.close(os.open(name, os.O_RDWR | os.O_CREAT, 0o600))  # before SQLite creates it 0644
        conn = sqlite3.connect(name, check_same_thread=False, isolation_level=None)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_intact(db, name)
        _refuse_newer(db, name)
        if on_disk:
            _make_private(name)
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        # Checkpoints run from their own connection (storage.store.Store.checkpoint), not in a
        # writer's commit, where their fsync would stall whoever waits for the lock (an ack);
        # this bound is only the fallback should that job stop.
        db.execute(f"PRAGMA wal_autocheckpoint = {FALLBACK_CHECKPOINT_PAGES}")
        return OpenedDatabase(db=db, schema_version=schema.apply(db))
    except BaseException as exc:
        if conn is not None:
            conn.close()
        problem = _storage_problem(exc)
        if problem is None:
            raise
        raise StorageError(name, problem) from exc


def _make_private(path: str) -> None:
    """Make the files readable by their owner only: they hold the Hey Now bearer token.

    A new file is created 0600 by open_database, and SQLite gives the -wal and -shm files it
    creates the database file's mode. This tightens what an earlier version left readable by
    others (a -wal after a crash too); it runs only on a file that passed the checks, so a
    refused file is left as it was.
    """
    loose: list[str] = []
    for file in (path, f"{path}-wal", f"{path}-shm"):
        try:
            mode = stat.S_IMODE(os.stat(file).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(file, 0o600)
            loose.append(f"{file} (was {mode:04o})")
    if loose:
        logger.warning("Readable by other users, now 0600: %s", ", ".join(loose))


def _check_intact(db: Database, path: str) -> None:
    """Refuse a damaged file at start-up, rather than on the send that reaches the bad page.

    `quick_check` reads every page but skips the index-to-table cross-checks of
    `integrity_check`. Measured on a 28 MB file of 100k messages and 100k notices: 57 ms
    (integrity_check: 250 ms); the whole open, 59 ms, or 0.26 s with the file out of the page
    cache.
    """
    problem = db.execute("PRAGMA quick_check(1)").fetchone()[0]
    if problem != "ok":
        found = " ".join(problem.removeprefix("*** in database main ***").split())
        raise StorageError(path, _damaged(found))


def _storage_problem(exc: BaseException) -> str | None:
    """What StorageError says about an error met while opening; None for a bug."""
    if isinstance(exc, OSError):
        return _cannot_use(exc.strerror or str(exc))
    if not (isinstance(exc, sqlite3.Error) and is_storage_fault(exc)):
        return None
    if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return _damaged(str(exc))
    return _cannot_use(str(exc))


def _cannot_use(reason: str) -> str:
    return (
        f"cannot be opened or written ({reason}): check that the app's user may write it and its "
        "folder, and that the disk has room"
    )


def _damaged(reason: str) -> str:
    return (
        f"not a usable SQLite database ({reason}): restore it from a backup, or move it away "
        "to start with an empty one"
    )


def _refuse_newer(db: Database, path: str) -> None:
    """Stop on a database written by a newer version, before anything is migrated.

    Its schema may hold columns and rules that this version's writes break (every send would
    fail), and applying our migrations, which rewrites `user_version`, would damage it for the
    version that wrote it.
    """
    known = _known_migrations()
    applied = [m.name for m in schema.migrations.applied(db)]
    recorded = db.execute("PRAGMA user_version").fetchone()[0]
    if recorded > len(known) or not set(applied) <= set(known):
        raise StorageError(
            path,
            f"written by a newer version of heynow-slack (schema {max(recorded, len(applied))}; "
            f"this version knows {len(known)}): run that version, or restore a backup",
        )


def _known_migrations() -> list[str]:
    """This version's migration names: on an empty database every one of them is pending
    (sqlite-utils offers no public list of the registered ones)."""
    empty = Database(memory=True)
    try:
        return [m.name for m in schema.migrations.pending(empty)]
    finally:
        empty.close()
