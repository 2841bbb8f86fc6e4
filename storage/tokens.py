"""The Hey Now bearer token (bot.heynow.client.TokenCache), so a restart does not log in again."""

from __future__ import annotations

import time

from storage.base import Db


class Tokens:
    def __init__(self, db: Db) -> None:
        self._db = db

    def load_token(self, account: str) -> tuple[str, float] | None:
        rows = self._db.rows("SELECT token, expires_at FROM tokens WHERE account = ?", [account])
        return (rows[0]["token"], rows[0]["expires_at"]) if rows else None

    def save_token(self, account: str, token: str, expires_at: float) -> None:
        with self._db.write() as db:
            db.table("tokens").upsert(
                {
                    "account": account,
                    "token": token,
                    "expires_at": expires_at,
                    "saved_at": time.time(),
                },
                pk="account",
            )
