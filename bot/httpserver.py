"""Waitress, the production WSGI server every HTTP face of the app runs on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress.server import create_server

from bot.web import MAX_BODY_BYTES

logger = logging.getLogger(__name__)


@dataclass
class RunningServer:
    """A waitress server running on a daemon thread."""

    server: Any
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.server.effective_host}:{self.server.effective_port}"

    def stop(self) -> None:
        """Close from the server's own loop thread: closing its sockets from another thread
        races the loop's select() and now and then ends that thread with EBADF."""
        if self.thread.is_alive():
            try:
                self.server.trigger.pull_trigger(self.server.close)
            except OSError:  # its wake-up pipe is gone already: nothing left to race with
                self.server.close()
                return
            self.thread.join(timeout=0.5)  # kept-alive clients may hold it a while: a daemon
        else:
            self.server.close()


def _create(app: Callable[..., Any], host: str, port: int, threads: int) -> Any:
    """A waitress server that refuses bodies above MAX_BODY_BYTES before buffering them.

    Waitress reads a whole body (into memory, then a temporary file) before it calls the app, so a
    limit in the app alone comes too late. With max_request_body_size it answers 413 and closes
    as soon as the headers declare a Content-Length at or above it, and a chunked body once that
    many bytes of it have arrived (counting the chunk framing); the app never sees either. The
    +1 is because waitress refuses at the limit, and MAX_BODY_BYTES itself is allowed.
    """
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="heynow-slack",
        max_request_body_size=MAX_BODY_BYTES + 1,
    )


def start_in_thread(
    app: Callable[..., Any], *, host: str = "127.0.0.1", port: int = 0, threads: int = 8
) -> RunningServer:
    """Serve `app` on host:port (0: any free port) without blocking the caller."""
    server = _create(app, host, port, threads)
    thread = threading.Thread(target=server.run, name=f"http-{server.effective_port}", daemon=True)
    thread.start()
    return RunningServer(server, thread)


def serve_forever(app: Callable[..., Any], *, host: str, port: int, threads: int = 8) -> None:
    server = _create(app, host, port, threads)
    logger.info("Listening on http://%s:%s", server.effective_host, server.effective_port)
    server.run()
