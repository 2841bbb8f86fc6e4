"""The app as a process, started on a database it must not use: one line on stderr, exit 2."""

import os
import sqlite3
import stat

from storage import schema
from storage.database import open_database
from tests.e2e.harness import AppProcess, free_port, run_once


def assert_stopped_in_one_line_naming(done, path):
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"heynow-bot: DATABASE_PATH {path}: ")
    assert done.returncode == 2


def test_a_database_from_a_newer_version_stops_start_up_in_one_line(tmp_path):
    path = tmp_path / "newer.db"
    open_database(path).db.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    done = run_once(tmp_path, DATABASE_PATH=str(path), PORT=str(free_port()))
    assert_stopped_in_one_line_naming(done, path)
    known = len(schema.migrations.applied(open_database(tmp_path / "now.db").db))
    assert f"newer version of heynow-slack (schema 99; this version knows {known})" in done.stderr


def test_a_corrupt_database_stops_start_up_in_one_line(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(os.urandom(8192))
    done = run_once(tmp_path, DATABASE_PATH=str(path), PORT=str(free_port()))
    assert_stopped_in_one_line_naming(done, path)
    assert "not a usable SQLite database" in done.stderr


def test_the_app_creates_its_database_readable_by_its_user_only(tmp_path):
    path = tmp_path / "private.db"
    app = AppProcess(tmp_path, {"DATABASE_PATH": str(path)})
    try:
        modes = {
            suffix: oct(stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode))
            for suffix in ("", "-wal", "-shm")
        }
        assert modes == {"": "0o600", "-wal": "0o600", "-shm": "0o600"}
        assert "Readable by other users" not in app.log()  # created so, not tightened after
    finally:
        app.stop()
