"""Reading a submitted form: its values as Slack sends them, where it was opened, its digest."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def origin_channel(private_metadata: Any) -> str | None:
    """The channel the form was opened from ("" for none), or None if the metadata is forged."""
    try:
        data = json.loads(private_metadata or "{}")
    except (TypeError, ValueError):
        return None
    channel = data.get("channel", "") if isinstance(data, dict) else None
    return channel if isinstance(channel, str) else None


def digest(values: dict[str, Any]) -> str:
    """The same values give the same digest: a double submit is one request."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def text_of(values: dict[str, Any], block_id: str) -> str:
    """A text field's value, or a select's chosen value (a platform)."""
    field = (values.get(block_id) or {}).get("value") or {}
    chosen = (field.get("selected_option") or {}).get("value")
    return str(chosen or field.get("value") or "").strip()
