"""storage.database: opening the file, and refusing the ones this version must not use."""

import os
import sqlite3
import stat

import pytest
from sqlite_utils import Database

from storage import schema
from storage.database import StorageError, is_storage_fault, open_database

KNOWN = len(schema.migrations.pending(Database(memory=True)))


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


def database_with_messages(path, count):
    """A real database of this version, closed (so its WAL is checkpointed into the file)."""
    opened = open_database(path)
    opened.db["messages"].insert_all(
        {
            "request_key": f"T1:trig-{n}",
            "slack_channel": "C1",
            "slack_user": "U1",
            "created_at": 100.0 + n,
            "send_state": "sent",
            "next_poll_at": 200.0 + n,
            "text": "hola, ¿cómo estás?",
        }
        for n in range(count)
    )
    opened.db.close()
    return path


def test_a_file_is_opened_in_wal_with_the_store_pragmas(tmp_path):
    opened = open_database(tmp_path / "x.db")
    pragmas = {
        name: opened.db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
    }
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 2000,
        "synchronous": 1,
        "foreign_keys": 1,
    }
    assert opened.schema_version == len(schema.migrations.applied(opened.db)) == KNOWN
    opened.db.close()


def test_memory_is_not_put_in_wal():
    opened = open_database(":memory:")
    assert opened.db.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
    assert opened.schema_version == KNOWN


# -- file modes: the Hey Now bearer token lies in this file -------------------------------


def modes(path):
    return {
        suffix: oct(stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode))
        for suffix in ("", "-wal", "-shm")
    }


@pytest.fixture
def usual_umask():
    """022, as on most systems: what SQLite would create 0644 under."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_database_and_its_wal_files_are_private(tmp_path, usual_umask, caplog):
    opened = open_database(tmp_path / "new.db")
    assert modes(tmp_path / "new.db") == {"": "0o600", "-wal": "0o600", "-shm": "0o600"}
    opened.db.close()
    assert not caplog.records


def test_a_database_readable_by_others_is_made_private_with_a_warning(tmp_path, caplog):
    path = tmp_path / "shared.db"
    open_database(path).db.close()
    path.chmod(0o644)
    open_database(path).db.close()
    assert oct(stat.S_IMODE(path.stat().st_mode)) == "0o600"
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            f"Readable by other users, now 0600: {path} (was 0644), {path}-wal (was 0644), "
            f"{path}-shm (was 0644)",
        )
    ]


def test_wal_files_left_readable_by_others_are_made_private(tmp_path, caplog):
    """A -wal left by a crash holds the latest writes (the token among them)."""
    path = tmp_path / "crashed.db"
    left_open = open_database(path).db  # keeps the -wal and -shm files in place
    for suffix in ("", "-wal", "-shm"):
        os.chmod(f"{path}{suffix}", 0o644)
    open_database(path).db.close()
    assert modes(path) == {"": "0o600", "-wal": "0o600", "-shm": "0o600"}
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    left_open.close()


# -- a database from a newer version -------------------------------------------------------


def test_a_schema_version_beyond_ours_is_refused(tmp_path):
    path = make_database(tmp_path / "newer.db", user_version=KNOWN + 1)
    with pytest.raises(StorageError) as caught:
        open_database(path)
    assert caught.value.path == str(path)
    assert str(caught.value) == (
        f"{path}: written by a newer version of heynow-slack (schema {KNOWN + 1}; this version knows {KNOWN}): "
        "run that version, or restore a backup"
    )


def test_a_migration_we_do_not_know_is_refused(tmp_path):
    path = make_database(tmp_path / "newer.db", extra_migration="m099_add_reactions")
    with pytest.raises(
        StorageError, match=rf"newer version of heynow-slack \(schema {KNOWN + 1}; this"
    ):
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


# -- a file that is not a usable database ------------------------------------------------

ADVICE = "restore it from a backup, or move it away to start with an empty one"


def test_random_bytes_are_refused_as_not_a_database(tmp_path):
    path = tmp_path / "random.db"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(StorageError) as caught:
        open_database(path)
    assert str(caught.value) == (
        f"{path}: not a usable SQLite database (file is not a database): {ADVICE}"
    )


def test_a_truncated_database_is_refused(tmp_path):
    path = database_with_messages(tmp_path / "cut.db", 2000)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(StorageError, match="not a usable SQLite database"):
        open_database(path)


def test_a_damaged_page_that_opening_does_not_read_is_found(tmp_path):
    """A broken index page: everything start-up reads is fine, only PRAGMA quick_check sees it."""
    path = database_with_messages(tmp_path / "damaged.db", 2000)
    db = sqlite3.connect(path)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    (root,) = db.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'idx_messages_request_key'"
    ).fetchone()
    db.close()
    with open(path, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)
    with pytest.raises(StorageError) as caught:
        open_database(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not a usable SQLite database (") and ADVICE in message
    assert "\n" not in message


def test_a_folder_where_the_file_should_be_is_refused(tmp_path):
    (tmp_path / "folder.db").mkdir()
    with pytest.raises(StorageError, match="folder.db: cannot be opened or written"):
        open_database(tmp_path / "folder.db")


def test_a_database_that_cannot_be_written_is_refused(tmp_path):
    """SQLite cannot create its -shm file beside the database (as in a read-only folder):
    it then reads, but every write fails."""
    path = database_with_messages(tmp_path / "stuck.db", 1)
    (tmp_path / "stuck.db-shm").mkdir()
    with pytest.raises(StorageError) as caught:
        open_database(path)
    assert str(caught.value).startswith(
        f"{path}: cannot be opened or written (attempt to write a readonly database): "
    )


def test_a_bug_at_start_up_is_not_blamed_on_the_file(tmp_path, monkeypatch):
    def broken_migration(db):
        db.execute("SELECT no_such_column FROM sqlite_master")

    monkeypatch.setattr(schema, "apply", broken_migration)
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        open_database(tmp_path / "fine.db")


# -- is_storage_fault: real errors from real SQLite conditions ------------------------------


def error_of(action):
    with pytest.raises(sqlite3.Error) as caught:
        action()
    return caught.value


def test_a_full_disk_is_a_storage_fault():
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("CREATE TABLE t (a)")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 1}")
    exc = error_of(
        lambda: [db.execute("INSERT INTO t VALUES (?)", ["x" * 1000]) for _ in range(20)]
    )
    assert str(exc) == "database or disk is full"
    assert is_storage_fault(exc)


def test_a_read_only_database_is_a_storage_fault(tmp_path):
    sqlite3.connect(tmp_path / "ro.db").execute("CREATE TABLE t (a)").connection.close()
    db = sqlite3.connect(f"file:{tmp_path / 'ro.db'}?mode=ro", uri=True)
    exc = error_of(lambda: db.execute("INSERT INTO t VALUES (1)"))
    assert str(exc) == "attempt to write a readonly database"
    assert is_storage_fault(exc)


def test_a_disk_io_error_is_a_storage_fault(tmp_path):
    """A directory where the rollback journal goes: SQLite takes it for a hot journal and
    cannot read it, which is what a failing disk looks like from here."""
    path = tmp_path / "io.db"
    sqlite3.connect(path).execute("CREATE TABLE t (a)").connection.close()
    (tmp_path / "io.db-journal").mkdir()
    db = sqlite3.connect(path, isolation_level=None)
    exc = error_of(lambda: db.execute("INSERT INTO t VALUES (1)"))
    assert str(exc) == "disk I/O error"
    assert is_storage_fault(exc)


def test_a_file_that_cannot_be_opened_is_a_storage_fault(tmp_path):
    exc = error_of(lambda: sqlite3.connect(tmp_path / "no-such-folder" / "x.db"))
    assert str(exc) == "unable to open database file"
    assert is_storage_fault(exc)


def test_a_file_that_is_not_a_database_is_a_storage_fault(tmp_path):
    (tmp_path / "bytes.db").write_bytes(b"\x07" * 4096)
    db = sqlite3.connect(tmp_path / "bytes.db")
    exc = error_of(lambda: db.execute("SELECT * FROM sqlite_master"))
    assert str(exc) == "file is not a database"
    assert is_storage_fault(exc)
    assert is_storage_fault(StorageError("x.db", "not a usable SQLite database"))


def test_a_malformed_database_is_a_storage_fault(tmp_path):
    path = database_with_messages(tmp_path / "cut.db", 2000)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    db = sqlite3.connect(path)
    exc = error_of(lambda: db.execute("SELECT count(*) FROM messages").fetchone())
    assert str(exc) == "database disk image is malformed"
    assert is_storage_fault(exc)


def test_programming_errors_are_not_storage_faults(tmp_path):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (a UNIQUE)")
    db.execute("INSERT INTO t VALUES (1)")
    duplicate = error_of(lambda: db.execute("INSERT INTO t VALUES (1)"))
    wrong_column = error_of(lambda: db.execute("SELECT b FROM t"))
    db.close()
    closed = error_of(lambda: db.execute("SELECT 1"))
    assert isinstance(duplicate, sqlite3.IntegrityError)
    assert [is_storage_fault(e) for e in (duplicate, wrong_column, closed)] == [False] * 3
    assert not is_storage_fault(ValueError("no"))


def test_a_busy_database_is_not_a_storage_fault(tmp_path):
    """Another process holding the write lock is contention, not a failing disk: retry it."""
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (a)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0)
    exc = error_of(lambda: waiter.execute("INSERT INTO t VALUES (1)"))
    assert str(exc) == "database is locked"
    assert not is_storage_fault(exc)
    holder.execute("ROLLBACK")
