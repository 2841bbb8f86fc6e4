"""`heynow-bot` (or `python -m bot`): run the app, or the Hey Now simulator alone."""

from __future__ import annotations

import argparse
import io
import logging
import logging.handlers
import os
import secrets
import signal
import sys
from dataclasses import replace

from bot.config import ConfigError, Settings, load_settings
from bot.httpserver import serve_forever, start_in_thread
from bot.i18n import Texts
from storage.database import StorageError

logger = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="heynow-bot", description="Hey Now for Slack.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the app (the default)")
    sim = commands.add_parser("simulator", help="run the Hey Now simulator alone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8310)
    sim.add_argument("--config", help="a JSON world (default: the built-in demo)")
    sim.add_argument("--step-seconds", type=float, help="seconds between status steps (? RS RU LU)")
    sim.add_argument("--threads", type=int, default=32, help="requests served at once")
    sim.add_argument(
        "--state",
        metavar="FILE",
        help="keep the messages sent (and their forced statuses) in FILE across restarts",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if args.command == "simulator":
            return run_simulator(args)
        return run_app()
    except ConfigError as exc:
        print(f"heynow-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"heynow-bot: DATABASE_PATH {exc.path}: {exc.problem}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"heynow-bot: {exc} (is another program using the port? set PORT)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _logging(level: str, handlers: list[logging.Handler] | None = None) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=handlers
    )
    for noisy in ("httpx", "httpcore", "waitress", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def run_simulator(args: argparse.Namespace) -> int:
    from bot.simulator import SimulatorState, load_config, make_wsgi_app

    _logging("INFO")
    try:
        config = load_config(args.config)
        if args.step_seconds is not None:
            config["status_step_seconds"] = args.step_seconds
        state = SimulatorState(config, state_file=args.state)
    except ValueError as exc:  # a WorldError or a StateFileError
        print(f"heynow-bot simulator: {exc}", file=sys.stderr)
        return 2
    user, password = state.demo_user
    print(
        f"Hey Now simulator: http://{args.host}:{args.port}/api (user {user!r}, password {password!r})",
        flush=True,
    )
    serve_forever(make_wsgi_app(state), host=args.host, port=args.port, threads=args.threads)
    return 0


def run_app() -> int:
    from bot.app import build_runtime

    settings = load_settings()
    interactive = settings.local_mode and sys.stdin.isatty()
    if not interactive:
        _logging(settings.log_level)
    console = None
    if settings.local_mode:
        settings, console = _local_slack(settings)
        if interactive:
            _console_logging(settings, console)
    runtime = build_runtime(settings)
    runtime.start()
    try:
        if settings.socket_mode:
            return _serve_socket_mode(runtime)
        if interactive and console is not None:
            server = start_in_thread(
                runtime.wsgi(), host=settings.host, port=settings.port, threads=8
            )
            console.app_url = server.url
            console.loop()
            server.stop()
            return 0
        _announce(settings)
        serve_forever(runtime.wsgi(), host=settings.host, port=settings.port, threads=8)
        return 0
    finally:
        runtime.close()


def _local_slack(settings: Settings):
    """No Slack credentials: play Slack with the stand-in, and print what it receives."""
    from bot.local.console import Console
    from bot.local.standin import SlackStandIn

    token = "xoxb-local-" + secrets.token_hex(8)
    secret = secrets.token_hex(16)
    standin = SlackStandIn(token=token)
    server = start_in_thread(standin)
    console = Console(
        app_url=f"http://{settings.host}:{settings.port}",
        standin_url=server.url,
        signing_secret=secret,
        texts=Texts.of(settings.language, settings.timezone),
    )
    standin.on_call = console.show
    local = replace(
        settings,
        slack_bot_token=token,
        slack_signing_secret=secret,
        slack_api_url=server.url + "/api/",
    )
    return local, console


class PrivateLogFile(logging.handlers.RotatingFileHandler):
    """A log file readable by its owner only (0600), kept under 2 x 5 MB."""

    def __init__(self, path: str) -> None:
        super().__init__(path, maxBytes=5_000_000, backupCount=1, encoding="utf-8")
        os.chmod(path, 0o600)

    def _open(self) -> io.TextIOWrapper:  # every (re)open, rotation included
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # noqa: SIM115


def _console_logging(settings: Settings, console) -> None:
    """At the console: the whole log goes to a file beside the database, and only warnings and
    errors reach the terminal, each on a line of its own, so that a log record never breaks
    into what Slack would show."""
    from bot.local.console import ConsoleLog

    handlers: list[logging.Handler] = [ConsoleLog(console)]
    if settings.database_path != ":memory:":
        console.log_path = settings.database_path + ".log"
        try:
            handlers.append(PrivateLogFile(console.log_path))
        except OSError as exc:
            raise ConfigError(
                f"DATABASE_PATH: the log beside it, {console.log_path}, cannot be written: {exc.strerror}"
            ) from None
    _logging(settings.log_level, handlers)
    logging.captureWarnings(True)  # Python's warnings too, instead of stderr


def _announce(settings: Settings) -> None:
    where = "the embedded Hey Now simulator" if settings.uses_simulator else settings.heynow_url
    slack = (
        "a local stand-in for Slack"
        if settings.slack_api_url.startswith("http://127.")
        else "Slack"
    )
    logger.info(
        "heynow-bot on http://%s:%s/slack/events, with %s and %s",
        settings.host,
        settings.port,
        slack,
        where,
    )


def _serve_socket_mode(runtime) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(runtime.bolt, runtime.settings.slack_app_token)
    handler.connect()
    logger.info("Connected to Slack in Socket Mode; /healthz on port %s", runtime.settings.port)
    try:
        serve_forever(
            runtime.wsgi(), host=runtime.settings.host, port=runtime.settings.port, threads=2
        )
    finally:
        handler.close()
    return 0
