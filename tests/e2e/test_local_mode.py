"""Local mode as a person at a terminal meets it: `python -m bot` on a pty, no Slack settings."""

from functools import partial

from tests.e2e.harness import LOCAL_TEXTS
from tests.e2e.harness import app_says as says_in
from tests.e2e.harness import app_says_until as says_until_in
from tests.e2e.terminal import PROMPT, UP, Terminal, quick

app_says = partial(says_in, texts=LOCAL_TEXTS)  # local mode speaks HEYNOW_LANGUAGE's default
app_says_until = partial(says_until_in, texts=LOCAL_TEXTS)


def delivered(who: str) -> str:
    return app_says_until("reply.delivered.whatsapp_at", "when", who=who)


def test_local_mode_answers_a_command_typed_in_the_terminal(tmp_path):
    terminal = Terminal(tmp_path, tmp_path / "local.db", **quick(tmp_path))
    try:
        terminal.command("/heynow send 091000001 hola desde la terminal")
        terminal.read_until("Ana Pérez")
        terminal.read_until(delivered("Ana Pérez"))
        assert terminal.exit() == 0
        assert b"#C0LOCAL Hey Now:" in terminal.seen and b"hola desde la terminal" in terminal.seen
    finally:
        terminal.close()


def test_the_log_goes_to_a_file_beside_the_database_and_warnings_get_lines_of_their_own(tmp_path):
    database = tmp_path / "local.db"
    database.touch()
    database.chmod(0o644)  # readable by others: the app tightens it, with a warning
    terminal = Terminal(tmp_path, database, LOG_LEVEL="INFO", **quick(tmp_path))
    try:
        terminal.command("/heynow send 091000001 hola")
        terminal.read_until(app_says_until("reply.read.whatsapp_at", "when", who="Ana Pérez"))
        assert terminal.exit() == 0
    finally:
        terminal.close()
    log_file = tmp_path / "local.db.log"
    log = log_file.read_text()
    assert "Using the embedded Hey Now simulator" in log and "Logged in to Hey Now" in log
    assert "Readable by other users" in log
    assert log_file.stat().st_mode & 0o777 == 0o600
    shown = terminal.seen.decode()
    assert "local.db.log" in shown  # the banner says where the log is
    assert "Using the embedded Hey Now simulator" not in shown and "Logged in" not in shown
    (warning,) = [line for line in shown.splitlines() if "Readable by other users" in line]
    assert warning.startswith("[log] WARNING storage.database: Readable by other users")


def test_after_a_restart_the_embedded_simulator_still_knows_the_messages(tmp_path):
    database = tmp_path / "local.db"
    settings = {"LOG_LEVEL": "INFO", **quick(tmp_path)}
    first = Terminal(tmp_path, database, **settings)
    try:
        first.command("/heynow send 091000002 hola Bruno")  # read receipts off: still followed
        first.read_until(delivered("Bruno Díaz"))
        assert first.exit() == 0
    finally:
        first.close()
    second = Terminal(tmp_path, database, **settings)
    try:
        second.command("/heynow status #1")
        delivered_status = app_says("status.delivered.whatsapp")
        second.read_until(f"59899000001: :heavy_check_mark::heavy_check_mark: {delivered_status}")
        second.settle(2)  # several polls of #1 (every 0.2-0.4 s)
        assert second.exit() == 0
    finally:
        second.close()
    assert "knows no message" not in second.seen.decode()
    assert app_says_until("reply.lost", "who") not in second.seen.decode()
    assert app_says("outcome.lost") not in second.seen.decode()
    log = (tmp_path / "local.db.log").read_text()
    assert "Hey Now does not know message" not in log and "(404)" not in log
    assert (tmp_path / "local.db.simulator.json").stat().st_mode & 0o777 == 0o600


def test_the_ack_comes_first_and_the_prompt_comes_back_after_each_thread_reply(tmp_path):
    terminal = Terminal(tmp_path, tmp_path / "local.db", **quick(tmp_path, step_seconds=1))
    try:
        terminal.command("/heynow send 091000001 hola Ana")
        shown = terminal.read_until("#C0LOCAL Hey Now:")
        assert shown.index(b"Enviando a 59891000001") < shown.index(b"#C0LOCAL Hey Now:")
        terminal.read_until(b"\n" + PROMPT)  # the prompt, after the channel post
        terminal.mark()
        terminal.type("/heynow hel")  # half typed when the thread reply comes
        terminal.read_until(delivered("Ana Pérez"))
        terminal.mark(at=delivered("Ana Pérez"))
        terminal.read_until(PROMPT + b"/heynow hel")  # the prompt, and what was being typed
        terminal.mark()
        terminal.type("p\r")  # ...which the person then finishes
        terminal.read_until(app_says("help.send"))  # the help's usage
        assert terminal.exit() == 0
    finally:
        terminal.close()


def test_the_up_arrow_recalls_the_previous_command(tmp_path):
    terminal = Terminal(tmp_path, tmp_path / "local.db", **quick(tmp_path))
    try:
        terminal.command("/heynow contact 091000005")
        terminal.read_until("Lucía Rodríguez")
        terminal.command(UP)
        terminal.read_until("Lucía Rodríguez")
        assert b"is not a /heynow command" not in terminal.seen
        assert terminal.exit() == 0
    finally:
        terminal.close()


def test_a_log_file_that_cannot_be_written_stops_start_up_in_one_line(tmp_path):
    (tmp_path / "local.db.log").mkdir()
    terminal = Terminal(tmp_path, tmp_path / "local.db")
    try:
        assert terminal.process.wait(15) == 2
        terminal.settle(0.2)
    finally:
        terminal.close()
    (line,) = terminal.seen.decode().strip().splitlines()
    assert line.startswith("heynow-bot: configuration error: DATABASE_PATH: the log beside it")
