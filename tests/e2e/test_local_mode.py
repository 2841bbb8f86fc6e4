"""Local mode as a person at a terminal meets it: `python -m bot` on a pty, no Slack settings."""

from tests.e2e.terminal import Terminal, quick


def test_local_mode_answers_a_command_typed_in_the_terminal(tmp_path):
    terminal = Terminal(tmp_path, tmp_path / "local.db", **quick(tmp_path))
    try:
        terminal.command("/heynow send 091000001 hola desde la terminal")
        terminal.read_until("Ana Pérez")
        terminal.read_until("Delivered to")
        assert terminal.exit() == 0
        assert b"#C0LOCAL Hey Now:" in terminal.seen and b"hola desde la terminal" in terminal.seen
    finally:
        terminal.close()
