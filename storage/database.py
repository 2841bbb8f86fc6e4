"""Opening the database (placeholder until the storage-faults branch lands)."""

from __future__ import annotations

import sqlite3

_FAULTS = ("database or disk is full", "readonly database", "disk i/o error", "unable to open")


def is_storage_fault(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and any(
        text in str(exc).lower() for text in _FAULTS
    )
