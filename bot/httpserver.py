"""Waitress, the production WSGI server every HTTP face of the app runs on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress.server import create_server

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
        self.server.close()


def start_in_thread(
    app: Callable[..., Any], *, host: str = "127.0.0.1", port: int = 0, threads: int = 8
) -> RunningServer:
    """Serve `app` on host:port (0: any free port) without blocking the caller."""
    server = create_server(app, host=host, port=port, threads=threads, ident="heynow-slack")
    thread = threading.Thread(target=server.run, name=f"http-{server.effective_port}", daemon=True)
    thread.start()
    return RunningServer(server, thread)


def serve_forever(app: Callable[..., Any], *, host: str, port: int, threads: int = 8) -> None:
    server = create_server(app, host=host, port=port, threads=threads, ident="heynow-slack")
    logger.info("Listening on http://%s:%s", server.effective_host, server.effective_port)
    server.run()
