"""The HTTP path's defences: SlackGuard in front of Bolt, and waitress's own body limit.

The guard is called as a plain WSGI callable with crafted environs; the server limit is checked
on a real waitress server with a raw socket, so a test can send headers without their body.
"""

import hashlib
import hmac
import io
import logging
import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.httpserver import start_in_thread
from bot.web import MAX_BODY_BYTES, SlackGuard

SECRET = "guard-test-secret"
NOW = 1_767_225_600  # 2026-01-01, the clock every guard here reads
INJECTION = "x\n2026-01-01 ERROR fake line"


class FixedClock:
    def now(self) -> float:
        return NOW


class Unreadable(io.RawIOBase):
    """A wsgi.input that fails the test if anyone reads it."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")


class Inner:
    """Stands for Bolt: records what reached it, answers 200."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.bodies.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def signature(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's v0 scheme over the raw bytes, written out independently of the guard."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def environ(
    body: bytes = b"command=%2Fheynow&text=help",
    *,
    timestamp: str | None = str(NOW),
    sig: str | None = None,
    content_length: str | None = None,
    stream: Any = None,
) -> dict[str, Any]:
    """A POST /slack/events as waitress hands it over; signed correctly unless told otherwise."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)) if content_length is None else content_length,
        "wsgi.input": io.BytesIO(body) if stream is None else stream,
    }
    if timestamp is not None:
        env["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = timestamp
        env["HTTP_X_SLACK_SIGNATURE"] = sig if sig is not None else signature(body, timestamp)
    return env


def call(env: dict[str, Any], inner: Inner | None = None) -> tuple[int, bytes]:
    guard = SlackGuard(inner or Inner(), signing_secret=SECRET, clock=FixedClock())
    started: list[str] = []
    body = b"".join(guard(env, lambda status, headers: started.append(status)))
    return int(started[0].split()[0]), body


def test_a_signed_request_reaches_bolt_with_its_body_unchanged():
    inner = Inner()
    body = "command=%2Fheynow&text=señal ☕".encode()
    assert call(environ(body), inner) == (200, b"ok")
    assert inner.bodies == [body]


def test_a_signed_body_of_exactly_the_limit_passes():
    inner = Inner()
    body = b"a" * MAX_BODY_BYTES
    assert call(environ(body), inner)[0] == 200
    assert inner.bodies == [body]


def test_a_content_length_above_the_limit_is_refused_before_the_body_is_read():
    inner = Inner()
    env = environ(content_length=str(MAX_BODY_BYTES + 1), stream=Unreadable())
    assert call(env, inner)[0] == 413
    huge = environ(content_length="9" * 5000, stream=Unreadable())  # too long for int()
    assert call(huge, inner)[0] == 413
    assert inner.bodies == []


@pytest.mark.parametrize("length", ["ten", "-1", "1e3", "١٢"])
def test_a_content_length_that_is_not_a_number_is_refused(length):
    assert call(environ(content_length=length, stream=Unreadable()))[0] == 400


@pytest.mark.parametrize(
    ("timestamp", "sig"),
    [
        (None, None),  # unsigned: no Slack headers at all
        ("soon", None),
        ("", None),
        ("١٧٦٧٢٢٥٦٠٠", None),  # digits, but not ASCII ones: int() would take them
        (" " + str(NOW), None),
        ("9" * 5000, None),  # too long for int()
        (str(NOW - 301), None),  # stale: Slack's window is 300 s
        (str(NOW + 301), None),
        (str(NOW), ""),
        (str(NOW), "v1=" + "0" * 64),
        (str(NOW), "v0=" + "é" * 64),  # hmac.compare_digest raises on non-ASCII text
        (str(NOW), "v0=" + "0" * 64 + "\n"),
    ],
)
def test_a_missing_or_malformed_signature_is_refused_without_reading_the_body(timestamp, sig):
    inner = Inner()
    assert call(environ(timestamp=timestamp, sig=sig, stream=Unreadable()), inner)[0] == 401
    assert inner.bodies == []


def test_a_wrong_signature_is_refused():
    inner = Inner()
    body = b"command=%2Fheynow&text=forged"
    wrong_secret = environ(body, sig=signature(body, str(NOW), secret="not-the-secret"))
    other_body = environ(body, sig=signature(b"command=%2Fheynow&text=help", str(NOW)))
    other_time = environ(body, sig=signature(body, str(NOW - 1)))
    assert [call(e, inner)[0] for e in (wrong_secret, other_body, other_time)] == [401] * 3
    assert inner.bodies == []


def test_a_body_that_is_not_utf8_is_refused_with_400_even_when_signed():
    inner = Inner()
    assert call(environ(b"text=\xff\xfe\xc3("), inner)[0] == 400
    assert inner.bodies == []


def test_a_body_shorter_than_its_content_length_is_refused():
    assert call(environ(b"text=help", content_length="100"))[0] == 400


def test_nothing_from_a_refused_request_reaches_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    body = f"command=/heynow&text={INJECTION}".encode()
    forged = [
        environ(body, sig="v0=" + "0" * 64),
        environ(body, timestamp=INJECTION),
        environ(body, sig=INJECTION),
        environ(body + b"\xff"),
        environ(body, content_length=INJECTION),
    ]
    assert [call(env)[0] for env in forged] == [401, 401, 401, 400, 400]
    assert caplog.records, "refusals are logged, at DEBUG"
    assert all(r.levelno <= logging.DEBUG for r in caplog.records)
    assert "fake line" not in caplog.text and "0" * 64 not in caplog.text


def test_a_refusal_is_a_small_json_answer():
    status, body = call(environ(timestamp=None))
    assert (status, body) == (401, b'{"error": "no numeric X-Slack-Request-Timestamp"}')


# -- waitress's own limit: a body above it never reaches the app, nor the server's buffers -----


def raw_exchange(url: str, head: str, chunks: Sequence[bytes] = ()) -> bytes:
    """Send a request's head, then its body chunks only while the server has not answered."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(head.encode())
        for chunk in chunks:
            sock.settimeout(0)
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break  # answered already
            except BlockingIOError:
                pass
            sock.settimeout(5)
            try:
                sock.sendall(chunk)
            except OSError:
                break  # the server closed: read what it said
        sock.settimeout(5)
        answer = b""
        while b"\r\n\r\n" not in answer and (data := sock.recv(65536)):
            answer += data
        return answer


@pytest.fixture(scope="module")
def running_server():
    inner = Inner()
    running = start_in_thread(inner)
    yield running, inner
    # Closed from waitress's own loop thread (as RunningServer.stop does), then waited for.
    running.server.trigger.pull_trigger(running.server.close)
    running.thread.join(timeout=5)
    assert not running.thread.is_alive()


@pytest.fixture
def server(running_server):
    running_server[1].bodies.clear()
    return running_server


def post_head(length: str | None = None, chunked: bool = False) -> str:
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}"
    return f"POST /slack/events HTTP/1.1\r\nHost: x\r\n{framing}\r\n\r\n"


def test_the_server_refuses_a_large_content_length_before_any_body_arrives(server):
    running, inner = server
    answer = raw_exchange(running.url, post_head(str(10 * 1024 * 1024)))
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert inner.bodies == []


def test_the_server_refuses_a_chunked_body_once_it_passes_the_limit(server):
    running, inner = server
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"a" * 64 * 1024)
    answer = raw_exchange(running.url, post_head(chunked=True), [chunk] * 160)  # 10 MB
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert inner.bodies == []


def test_the_server_lets_a_body_of_exactly_the_limit_through(server):
    running, inner = server
    body = b"a" * MAX_BODY_BYTES
    answer = raw_exchange(running.url, post_head(str(len(body))), [body])
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert inner.bodies == [body]
