"""Tolerant reading of Hey Now's answers (HEYNOW_API.md, "Tolerance").

The vendor document shows examples, not a schema, so every reader here accepts the shapes a real
server might plausibly send. Tolerant is not credulous: a body of none of those shapes (a proxy's
maintenance page, truncated JSON) raises ProtocolError, because what is read here is stored and
acted on (an id recorded as sent, a token reused for a day).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import ijson

from bot.heynow.errors import ProtocolError

STATUSES = ("?", "RS", "RU", "LU")
# A uuid, a Mongo ObjectId or a number all fit; whitespace, markup and quotes never do.
MESSAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
# A bearer token's characters (RFC 6750) and a token's length: the simulator issues
# secrets.token_urlsafe(32), 43 characters; a JWT fits too.
TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{16,4096}")


def _json_or_text(body: bytes) -> Any:
    text = body.decode("utf-8", errors="replace").strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def _describe(body: bytes) -> str:
    """A body in a few words for an error message (never used for the login's answer)."""
    return f"{len(body)} bytes, starting {body[:40]!r}"


def parse_message_id(body: bytes) -> str:
    """A send's id: `{"idMessageHey": ...}`, `{"id": ...}`, or a bare (JSON) string.

    Only what looks like an id (MESSAGE_ID) is one: the id is stored as proof of the send and put
    in every later status URL, so a maintenance page must never pass for one.
    """
    data = _json_or_text(body)
    if isinstance(data, dict):
        data = data.get("idMessageHey") or data.get("id")
    if isinstance(data, int) and not isinstance(data, bool):
        data = str(data)
    if isinstance(data, str) and MESSAGE_ID.fullmatch(data.strip()):
        return data.strip()
    raise ProtocolError(f"a send's answer holds no message id ({_describe(body)})")


def parse_status(body: bytes) -> str:
    """A status: a JSON string, `{"status": ...}`, or plain text.

    A JSON string or status field with a word this client does not know is `?`: that is the API's
    shape with a new value, which the Tolerance rule maps to unknown. Plain text must be a status
    itself, because plain text is also what a proxy's error page is. Any other body (empty, a
    number, an object without `status`) is a ProtocolError, so that a maintenance page is not
    polled as "no news" until the message times out.
    """
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        if text.upper() in STATUSES:
            return text.upper()
        raise ProtocolError(f"a status answer is no status ({_describe(body)})") from None
    if isinstance(data, dict):
        data = data.get("status")
    if not isinstance(data, str):
        raise ProtocolError(f"a status answer holds no status ({_describe(body)})")
    return data.strip().upper() if data.strip().upper() in STATUSES else "?"


def looks_like_token(value: str) -> bool:
    return TOKEN.fullmatch(value) is not None


def parse_token(body: bytes) -> str:
    """The login token: `{"token": ...}` or a bare string.

    A token is reused for a day and across restarts (TokenCache), so an answer that does not look
    like one (TOKEN) is a ProtocolError rather than a poisoned token. The error never quotes the
    body: it may hold a real token.
    """
    data = _json_or_text(body)
    if isinstance(data, dict):
        data = data.get("token")
    if isinstance(data, str) and looks_like_token(data.strip()):
        return data.strip()
    raise ProtocolError(f"Hey Now's login answer holds no token ({len(body)} bytes)")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """One contact: a JSON object; anything else is a ProtocolError, not an empty contact."""
    data = _json_or_text(body)
    if not isinstance(data, dict):
        raise ProtocolError(f"a contact answer is no JSON object ({_describe(body)})")
    return data


def iter_agenda(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """An agenda's contact documents, one at a time, parsed as the body's chunks arrive.

    An agenda can be tens of MB, and holding the download, its text and every parsed dict at once
    took many times its size; ijson builds one document at a time instead. The body is a JSON
    array of objects (items that are not objects are skipped). Some servers wrap lists,
    {"contacts": [...]} or {"data": [...]}: then the first top-level value that is an array is
    read. A body with no list, not JSON, or cut short is a ProtocolError, not an empty or partial
    agenda.
    """
    reader = _ChunkReader(iter(chunks))
    try:
        first = reader.peek()
        if first == b"[":  # the documented shape: ijson's C backend builds the items itself
            items = ijson.items(reader, "item", use_float=True)
        elif first == b"{":
            events = ijson.parse(reader, use_float=True)
            items = ijson.items(events, _first_list(events) + ".item")
        else:
            raise ProtocolError(f"an agenda answer is no JSON list (it starts {first!r})")
        yield from (item for item in items if isinstance(item, dict))
    except ijson.JSONError as exc:
        raise ProtocolError("an agenda answer is not readable JSON") from exc


def _first_list(events: Iterator[tuple[str, str, Any]]) -> str:
    """Read ijson events of a top-level object up to its first array value; return its prefix."""
    depth = 0
    for prefix, event, _ in events:
        if event == "start_array" and depth == 1:
            return prefix
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
    raise ProtocolError("an agenda answer holds no list")


class _ChunkReader:
    """The file ijson reads, over an iterator of byte chunks, with a peek at the first byte.

    read(size) never gives more than `size` bytes, however large the chunks: ijson builds every
    item that ends in what one read gave (about 8 times its size in objects), so a transport that
    hands over the whole body as one chunk must not undo the streaming.
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._head = b""
        self._at = 0

    def peek(self) -> bytes:
        """The first byte that is not JSON whitespace, left to read (b"" for an empty body)."""
        while not self._head:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._head = chunk.lstrip(b" \t\r\n")
        return self._head[:1]

    def read(self, size: int = -1) -> bytes:
        """At most `size` bytes (the rest of the current chunk if negative); b"" at the end.

        ijson first calls read(0), to learn whether the file gives bytes or text: it reads nothing.
        """
        while self._at >= len(self._head):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._head, self._at = chunk, 0
        end = len(self._head) if size < 0 else self._at + size
        piece = self._head[self._at : end]  # copies the piece only
        self._at += len(piece)
        return piece
