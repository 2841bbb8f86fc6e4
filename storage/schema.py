"""The schema, as numbered migrations applied at start-up (sqlite-utils `Migrations`).

Add a new `mNNN_...` function for every change; never edit one that has shipped. After applying,
`PRAGMA user_version` holds the number of applied migrations: the schema version.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("heynow-slack")


@migrations()
def m001_create_tokens(db: Database) -> None:
    """The Hey Now bearer token, so that a restart does not log in again."""
    db.table("tokens").create(
        {"account": str, "token": str, "expires_at": float, "saved_at": float},
        pk="account",
    )


@migrations()
def m002_create_messages(db: Database) -> None:
    """One row per send asked from Slack: the map from the Slack request to idMessageHey."""
    db.table("messages").create(
        {
            "id": int,
            "request_key": str,  # Slack's own id of the request: a retry finds its row
            "team_id": str,
            "slack_channel": str,  # where the command was typed
            "slack_user": str,
            "posted_channel": str,  # where the tracking message went (the channel, or a DM)
            "slack_ts": str,  # the tracking message: its thread gets the updates
            "channel_id": int,  # Hey Now channel
            "platform_id": str,
            "client_id": str,
            "client_name": str,
            "text": str,
            "validate": int,
            "id_message_hey": str,
            "send_state": str,  # sending | sent | rejected | unknown
            "error": str,
            "status": str,  # ? | RS | RU | LU
            "created_at": float,
            "sent_at": float,
            "rs_at": float,
            "ru_at": float,
            "lu_at": float,
            "checked_at": float,
            "next_poll_at": float,  # NULL: not polled (any more)
            "poll_interval": float,
            "poll_failures": int,
            "outcome": str,  # NULL while tracked; read | delivered | stuck | untracked
        },
        pk="id",
        not_null={"request_key", "slack_channel", "slack_user", "created_at", "send_state"},
        defaults={"status": "?", "poll_failures": 0, "validate": 1},
    )
    db.table("messages").create_index(["request_key"], unique=True)
    db.table("messages").create_index(["next_poll_at"])
    db.table("messages").create_index(["team_id", "slack_user", "created_at"])
    db.table("messages").create_index(["id_message_hey"])


@migrations()
def m003_create_notices(db: Database) -> None:
    """The outbox of Slack posts owed for each message: each kind is posted at most once."""
    db.table("notices").create(
        {
            "message_id": int,
            "kind": str,  # announce | one_tick | delivered | read | stuck | gave_up
            "created_at": float,
            "posted_at": float,
            "attempts": int,
            "last_error": str,
            "abandoned": int,
        },
        pk=("message_id", "kind"),
        foreign_keys=[("message_id", "messages", "id")],
        defaults={"attempts": 0, "abandoned": 0},
    )


def apply(db: Database) -> int:
    """Bring the schema up to date; returns the schema version."""
    migrations.apply(db)
    version = len(migrations.applied(db))
    db.execute(f"PRAGMA user_version = {version}")
    return version
