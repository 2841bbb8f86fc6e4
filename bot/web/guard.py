"""Refuse what Slack did not sign before anything reads, parses or logs it.

Bolt verifies Slack's signature too, but only after it has read the whole body, decoded it,
parsed it and, on a mismatch, logged it at INFO. So an unsigned 10 MB body cost a worker thread
seconds and the process hundreds of MB, a forged body wrote lines of its choosing into the log,
and invalid UTF-8 or a non-numeric timestamp ended in a 500 with a traceback. SlackGuard sits
between waitress and Bolt and answers such requests itself, cheapest check first:

    413  Content-Length above MAX_BODY_BYTES                  nothing read
    400  Content-Length not a number                          nothing read
    401  X-Slack-Request-Timestamp missing, not digits or     nothing read
         more than 300 s off; X-Slack-Signature missing
         or not v0=<64 hex digits>
    400  body shorter than Content-Length, or not UTF-8       read, never parsed
    401  signature does not match (constant-time compare)    read, never parsed

What it logs is its own words, at DEBUG: never the body nor a header's value, which are the
sender's. A request that passes goes on to Bolt unchanged, its body in a fresh wsgi.input; Bolt
then verifies it once more, which costs one HMAC of a small body.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from slack_sdk.signature import Clock, SignatureVerifier

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Slack's payloads are a few kB (a large modal's state, tens of kB): 1 MB is a wide margin."""

MAX_CLOCK_SKEW_SECONDS = 300  # Slack's replay window; SignatureVerifier applies the same one

# ASCII digits only, and few: int() also accepts " 12", "١٢" and "1_2", and refuses 5000 digits.
_NUMBER = re.compile(r"[0-9]{1,15}")
# hmac.compare_digest raises TypeError on non-ASCII text, so the shape is checked first.
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Refused(Exception):
    """A request the guard answers itself; `reason` is the guard's own words, safe to log."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SlackGuard:
    """WSGI middleware: only requests signed with the app's signing secret reach `app`.

    `app` is Bolt's SlackRequestHandler; `clock` is slack_sdk's (tests pass a fixed one).
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        signing_secret: str,
        clock: Clock | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.clock = clock or Clock()
        self.verifier = SignatureVerifier(signing_secret, clock=self.clock)
        self.max_body_bytes = max_body_bytes

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        try:
            body = self._verified_body(environ)
        except _Refused as refused:
            logger.debug(
                "Refused a request from %s: %d, %s",
                environ.get("REMOTE_ADDR"),
                refused.status,
                refused.reason,
            )
            payload = json.dumps({"error": refused.reason}).encode()
            start_response(
                f"{refused.status.value} {refused.status.phrase}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _verified_body(self, environ: dict[str, Any]) -> bytes:
        """The raw body of a request Slack signed, or _Refused; reads nothing it need not."""
        length = self._content_length(environ)
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not _NUMBER.fullmatch(timestamp):
            raise _Refused(HTTPStatus.UNAUTHORIZED, "no numeric X-Slack-Request-Timestamp")
        if abs(self.clock.now() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            raise _Refused(HTTPStatus.UNAUTHORIZED, "X-Slack-Request-Timestamp is not recent")
        if not _SIGNATURE.fullmatch(signature):
            raise _Refused(HTTPStatus.UNAUTHORIZED, "no v0 X-Slack-Signature")
        stream = environ.get("wsgi.input")
        raw = stream.read(length) if length and stream is not None else b""
        if len(raw) != length:
            raise _Refused(HTTPStatus.BAD_REQUEST, "body shorter than its Content-Length")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refused(HTTPStatus.BAD_REQUEST, "body is not UTF-8") from None
        if not self.verifier.is_valid(text, timestamp, signature):
            raise _Refused(HTTPStatus.UNAUTHORIZED, "signature does not match")
        return raw

    def _content_length(self, environ: dict[str, Any]) -> int:
        """CONTENT_LENGTH as a number within the limit (waitress checks it first; this is depth)."""
        declared = environ.get("CONTENT_LENGTH") or "0"
        if not declared.isascii() or not declared.isdigit():
            raise _Refused(HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
        if not _NUMBER.fullmatch(declared) or int(declared) > self.max_body_bytes:
            raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        return int(declared)
