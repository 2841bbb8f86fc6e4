"""Everything the app must not lose, in SQLite. Every SQL statement of the app lives in this package."""

from storage.store import Message, Notice, Store

__all__ = ["Message", "Notice", "Store"]
