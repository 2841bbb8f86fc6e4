"""Everything the app must not lose, in SQLite. Every SQL statement of the app lives in this package."""

from storage.base import StorageUnavailable
from storage.messages import Recovered
from storage.store import Store

__all__ = ["Recovered", "StorageUnavailable", "Store"]
