"""Tolerant reading of Hey Now's answers (HEYNOW_API.md, "Tolerance").

The vendor document shows examples, not a schema, so every reader here accepts the shapes a real
server might plausibly send and degrades to "unknown" instead of raising.
"""

from __future__ import annotations

import json
from typing import Any

STATUSES = ("?", "RS", "RU", "LU")


def _json_or_text(body: bytes) -> Any:
    text = body.decode("utf-8", errors="replace").strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_message_id(body: bytes) -> str | None:
    """A send's id: `{"idMessageHey": ...}`, `{"id": ...}`, or a bare (JSON) string."""
    data = _json_or_text(body)
    if isinstance(data, dict):
        data = data.get("idMessageHey") or data.get("id")
    if isinstance(data, str | int) and str(data).strip():
        return str(data).strip()
    return None


def parse_status(body: bytes) -> str:
    """A status: JSON string, plain text, or `{"status": ...}`; anything else is `?`."""
    data = _json_or_text(body)
    if isinstance(data, dict):
        data = data.get("status")
    if isinstance(data, str) and data.strip().upper() in STATUSES:
        return data.strip().upper()
    return "?"


def parse_token(body: bytes) -> str | None:
    """The login token: `{"token": ...}` or a bare string."""
    data = _json_or_text(body)
    if isinstance(data, dict):
        data = data.get("token")
    return data.strip() if isinstance(data, str) and data.strip() else None


def parse_json_list(body: bytes) -> list[dict[str, Any]]:
    """An agenda: a JSON array of objects; anything not an object is skipped."""
    data = _json_or_text(body)
    if isinstance(data, dict):  # some servers wrap lists: {"contacts": [...]} or {"data": [...]}
        data = next((v for v in data.values() if isinstance(v, list)), [])
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def parse_json_object(body: bytes) -> dict[str, Any]:
    data = _json_or_text(body)
    return data if isinstance(data, dict) else {}
