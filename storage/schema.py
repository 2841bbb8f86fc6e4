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


@migrations()
def m004_queue_and_leases(db: Database) -> None:
    """Sends are recorded before the ack and claimed by workers with a lease (owner, expiry).

    `queued` rows are the work queue; `not_found` counts Hey Now's 404s for a status;
    `shown_line` is the status line the channel post shows, so an update that would not change
    it is skipped; `response_url` lets a later answer reach the sender where they typed.
    """
    messages = db.table("messages")
    messages.add_column("response_url", str)
    messages.add_column("lease_owner", str)
    messages.add_column("lease_expires", float)
    messages.add_column("not_found", int, not_null_default=0)
    messages.add_column("shown_line", str)
    db.execute("CREATE INDEX idx_messages_queued ON messages(id) WHERE send_state = 'queued'")
    db.execute("CREATE INDEX idx_messages_sending ON messages(id) WHERE send_state = 'sending'")
    db.execute("DROP INDEX IF EXISTS idx_messages_next_poll_at")
    db.execute(
        "CREATE INDEX idx_messages_due ON messages(next_poll_at) WHERE next_poll_at IS NOT NULL"
    )


@migrations()
def m005_create_outbox(db: Database) -> None:
    """One table of every Slack call the app owes, replacing `notices`.

    Rows of one `topic` (a message's thread) go out in id order; rows of different topics go
    out in parallel. The partial indexes hold only due rows, so claiming costs O(due rows)
    however long the history grows.
    """
    db.table("outbox").create(
        {
            "id": int,
            "dedupe_key": str,  # one row per owed call, ever: owing it twice is a no-op
            "kind": str,  # bot.domain.PostKind
            "topic": str,  # order group: `message:12`, `user:U1`
            "message_id": int,  # the send it is about, rendered from its row at post time
            "channel": str,  # target (announce: where the command was typed; dm: the user)
            "user": str,  # for ephemeral notes and DMs
            "payload": str,  # JSON: what the renderer needs beyond the message row
            "state": str,  # bot.domain.OutboxState
            "attempts": int,
            "next_attempt_at": float,
            "first_tried_at": float,  # the give-up clock starts at the first try, not when owed
            "created_at": float,
            "lease_owner": str,
            "lease_expires": float,
            "maybe_posted": int,  # an attempt may have reached Slack: look before posting again
            "attempt_channel": str,  # where that attempt went
            "posted_at": float,
            "posted_channel": str,
            "posted_ts": str,
            "last_error": str,
        },
        pk="id",
        not_null={"dedupe_key", "kind", "topic", "state", "next_attempt_at", "created_at"},
        defaults={"state": "due", "attempts": 0, "maybe_posted": 0},
        foreign_keys=[("message_id", "messages", "id")],
    )
    db.execute("CREATE UNIQUE INDEX idx_outbox_dedupe ON outbox(dedupe_key)")
    db.execute("CREATE INDEX idx_outbox_due ON outbox(next_attempt_at) WHERE state = 'due'")
    db.execute("CREATE INDEX idx_outbox_topic_due ON outbox(topic, id) WHERE state = 'due'")
    db.execute("CREATE INDEX idx_outbox_message ON outbox(message_id)")
    _move_notices(db)


def _move_notices(db: Database) -> None:
    """Carry over what `notices` still owed, so an upgrade posts nothing twice or never."""
    kinds = {"announce": "announce", "one_tick": "status_line"}
    for row in db.query("SELECT * FROM notices ORDER BY message_id, rowid"):
        posted = row["posted_at"] is not None
        kind = kinds.get(row["kind"], "reply")
        key = f"m{row['message_id']}:" + (
            f"reply:{row['kind']}" if kind == "reply" else row["kind"]
        )
        db.table("outbox").insert(
            {
                "dedupe_key": key,  # as bot.domain.owed writes them: owed again, it is one row
                "kind": kind,
                "topic": f"message:{row['message_id']}",
                "message_id": row["message_id"],
                "payload": "{}" if kind != "reply" else f'{{"reply": "{row["kind"]}"}}',
                "state": "posted" if posted else "given_up" if row["abandoned"] else "due",
                "attempts": row["attempts"],
                "next_attempt_at": row["created_at"],
                "created_at": row["created_at"],
                "posted_at": row["posted_at"],
            }
        )
    db.execute("DROP TABLE notices")


@migrations()
def m006_sender_locale(db: Database) -> None:
    """The sender's Slack locale and time zone at the send: the channel post, its thread
    replies and the notes about it are written in them, even when Slack cannot be asked."""
    db.execute("ALTER TABLE messages ADD COLUMN locale TEXT")
    db.execute("ALTER TABLE messages ADD COLUMN zone TEXT")


@migrations()
def m007_mass_sends(db: Database) -> None:
    """Mass sends: the request with every recipient's frozen text, its audit trail, and the
    numbers that asked not to be messaged."""
    db.table("mass_requests").create(
        {
            "id": int,
            "request_key": str,  # the form submission: a double submit finds its row
            "team_id": str,
            "requester": str,
            "origin_channel": str,  # where the form was opened: the requester's notes go there
            "channel_id": int,
            "platform_id": str,
            "template": str,
            "not_before": float,
            "state": str,  # bot.domain.MassState
            "pause_reason": str,
            "reason": str,  # a rejection's reason, or why it stopped
            "created_at": float,
            "expires_at": float,
            "decided_by": str,
            "decided_at": float,
            "started_at": float,
            "finished_at": float,
            "approval_channel": str,  # the approval post, updated in place with the progress
            "approval_ts": str,
            "summary_ts": str,  # the summary in the approval post's thread, updated in place
            "locale": str,  # the requester's
            "zone": str,
            "total": int,
            "left_out": str,  # JSON: counts by reason (duplicates, opted out)
            "failures_in_a_row": int,
            "round": int,  # 1, then one more for each retry of the failed
            "quiet_until": float,  # waiting out quiet hours until then (shown on the post)
        },
        pk="id",
        not_null={"request_key", "requester", "state", "created_at", "template"},
        defaults={"failures_in_a_row": 0, "round": 1, "total": 0},
    )
    db.execute("CREATE UNIQUE INDEX idx_mass_request_key ON mass_requests(request_key)")
    db.execute("CREATE INDEX idx_mass_state ON mass_requests(state)")
    db.table("mass_recipients").create(
        {
            "id": int,
            "request_id": int,
            "position": int,  # its order in the request
            "client_id": str,
            "text": str,  # rendered at the request and frozen: what is approved is what is sent
            "state": str,  # bot.domain.RecipientState
            "round": int,
            "id_message_hey": str,
            "error": str,
            "status": str,  # ? | RS | RU | LU, refreshed by the poller
            "sent_at": float,
            "lease_owner": str,
            "lease_expires": float,
            "next_poll_at": float,
            "poll_interval": float,
        },
        pk="id",
        not_null={"request_id", "client_id", "text", "state"},
        defaults={"state": "pending", "status": "?", "round": 1},
        foreign_keys=[("request_id", "mass_requests", "id")],
    )
    db.execute("CREATE UNIQUE INDEX idx_mass_recipient ON mass_recipients(request_id, client_id)")
    db.execute(
        "CREATE INDEX idx_mass_pending ON mass_recipients(request_id, position) "
        "WHERE state = 'pending'"
    )
    db.execute("CREATE INDEX idx_mass_in_flight ON mass_recipients(state) WHERE state = 'sending'")
    db.execute(
        "CREATE INDEX idx_mass_poll ON mass_recipients(next_poll_at) WHERE next_poll_at IS NOT NULL"
    )
    db.table("mass_events").create(
        {"id": int, "request_id": int, "at": float, "actor": str, "kind": str, "detail": str},
        pk="id",
        not_null={"request_id", "at", "kind"},
        foreign_keys=[("request_id", "mass_requests", "id")],
    )
    db.execute("CREATE INDEX idx_mass_events ON mass_events(request_id, id)")
    db.table("opt_outs").create(
        {"channel_id": int, "client_id": str, "added_by": str, "added_at": float},
        pk=("channel_id", "client_id"),
    )


@migrations()
def m008_create_team_view(db: Database) -> None:
    """What the team's view needs: the agenda snapshot new contacts are found against, who took
    each new contact, Hey Now's health as last seen (one alert per change), and who looks at
    their Home tab (so that it is redrawn when what it shows changes)."""
    db.execute(
        "CREATE TABLE agenda_seen (platform TEXT NOT NULL, client_id TEXT NOT NULL, "
        "PRIMARY KEY (platform, client_id)) WITHOUT ROWID"
    )
    db.table("agenda_watch").create(
        {
            "platform": str,  # a PlatformRef, `1:59899000001`
            "taken_at": float,  # the last snapshot; NULL until the first (which posts nothing)
            "contacts": int,  # in that snapshot
            "lease_owner": str,
            "lease_expires": float,
        },
        pk="platform",
    )
    db.table("new_contacts").create(
        {
            "id": int,
            "platform": str,
            "client_id": str,
            "name": str,
            "seen_at": float,
            "taken_by": str,  # the Slack user who said "I'll take it"
            "taken_at": float,
            "post_channel": str,
            "post_ts": str,
            "locale": str,  # what its post is written in (HEYNOW_LANGUAGE's at the time)
        },
        pk="id",
        not_null={"platform", "client_id", "seen_at"},
    )
    db.execute("CREATE UNIQUE INDEX idx_new_contact ON new_contacts(platform, client_id)")
    db.execute("CREATE INDEX idx_new_contact_open ON new_contacts(seen_at) WHERE taken_by IS NULL")
    db.execute(
        "CREATE TABLE team_alerts (key TEXT PRIMARY KEY, at REAL NOT NULL, posted INTEGER NOT NULL)"
    )  # every problem the team was told of (or that was folded into an outage): once each
    db.table("team_state").create(
        {"key": str, "value": str, "changed_at": float},
        pk="key",
    )
    db.table("home_views").create(
        {
            "user": str,
            "opened_at": float,  # the last app_home_opened
            "locale": str,
            "zone": str,
            "shown": str,  # a digest of what the last publish showed: unchanged is not redrawn
            "published_at": float,
        },
        pk="user",
    )
    db.execute("CREATE INDEX idx_messages_sent_at ON messages(sent_at) WHERE sent_at IS NOT NULL")
    db.execute("CREATE INDEX idx_messages_user ON messages(slack_user, created_at)")
    db.execute("CREATE INDEX idx_messages_created ON messages(created_at)")
    # The team's alerts look for problems of the last hour or so, every few seconds: these keep
    # each look to the few rows that can be a problem, however long the history.
    db.execute(
        "CREATE INDEX idx_messages_failed ON messages(created_at) "
        "WHERE send_state IN ('rejected', 'unknown')"
    )
    db.execute(
        "CREATE INDEX idx_messages_undelivered ON messages(sent_at) "
        "WHERE send_state = 'sent' AND status IN ('?', 'RS')"
    )
    db.execute("CREATE INDEX idx_mass_paused ON mass_events(at) WHERE kind = 'paused'")


def apply(db: Database) -> int:
    """Bring the schema up to date; returns the schema version."""
    migrations.apply(db)
    version = len(migrations.applied(db))
    db.execute(f"PRAGMA user_version = {version}")
    return version
