"""Every state family of the app as an enum, each with its order or transitions beside it.

Statuses, send states, outcomes and owed-post kinds used to be spelled out as strings in four
places; here each is written once, and the order of a family is the order of its members.
The store applies transitions with compare-and-set updates, so these enums are the only truth.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Hey Now's delivery status of a sent message; it only moves forward, in this order."""

    UNKNOWN = "?"  # sent to Hey Now, nothing known yet
    ONE_TICK = "RS"  # on the platform's server
    DELIVERED = "RU"  # on the client's phone
    READ = "LU"  # read (only where the client shows read receipts)

    @property
    def rank(self) -> int:
        return _STATUS_ORDER.index(self)

    @classmethod
    def of(cls, raw: str | None) -> Status:
        """A stored or received code; anything unknown is `?`, the lowest, so it never wins."""
        try:
            return cls(raw or "?")
        except ValueError:
            return cls.UNKNOWN

    def implied(self) -> tuple[Status, ...]:
        """The statuses this one passes through from `?`: a poll may skip RU (RS straight to LU)."""
        return _STATUS_ORDER[1 : self.rank + 1]


_STATUS_ORDER = tuple(Status)


class SendState(StrEnum):
    """Where a send is between the person's request and Hey Now's answer."""

    QUEUED = "queued"  # recorded before the ack; no worker has taken it yet
    SENDING = "sending"  # a worker holds its lease and is asking Hey Now
    SENT = "sent"  # Hey Now gave its idMessageHey
    REJECTED = "rejected"  # Hey Now said no: nothing went out
    UNKNOWN = "unknown"  # the answer was lost: it may or may not have gone out
    EXPIRED = "expired"  # never sent: the app stopped before it could, and it is too old now

    @property
    def final(self) -> bool:
        return self not in (SendState.QUEUED, SendState.SENDING)


SEND_TRANSITIONS: dict[SendState, frozenset[SendState]] = {
    SendState.QUEUED: frozenset({SendState.SENDING, SendState.EXPIRED}),
    SendState.SENDING: frozenset({SendState.SENT, SendState.REJECTED, SendState.UNKNOWN}),
}


class Outcome(StrEnum):
    """How the following of a sent message ended (NULL while it is still followed)."""

    READ = "read"
    DELIVERED = "delivered"  # reached the phone, never shown as read: a normal ending
    STUCK = "stuck"  # never reached the phone before the give-up time
    LOST = "lost"  # Hey Now no longer knows the message (its status answers 404)
    UNTRACKED = "untracked"  # sent by a version that recorded sends without an id


class PostKind(StrEnum):
    """The kinds of Slack call the outbox owes."""

    ANNOUNCE = "announce"  # the channel post of a send (its thread gets the replies)
    STATUS_LINE = "status_line"  # chat.update of that post's status line
    REPLY = "reply"  # a reply in that post's thread
    EPHEMERAL = "ephemeral"  # a note only the sender sees, where they asked
    DM = "dm"  # a direct message to a person
    MASS_POST = "mass_post"  # a mass send's approval post
    MASS_UPDATE = "mass_update"  # chat.update of it: its state, progress, buttons
    MASS_SUMMARY = "mass_summary"  # the summary in its thread, kept up to date
    MASS_REPORT = "mass_report"  # the CSV of every recipient's outcome, in that thread
    TEAM_POST = "team_post"  # a post in HEYNOW_NOTIFY_CHANNEL: a new contact, a problem
    TEAM_UPDATE = "team_update"  # chat.update of a new contact's post (who took it)
    DIGEST = "digest"  # the day's digest in HEYNOW_NOTIFY_CHANNEL, with its chart
    HOME = "home"  # views.publish of one person's Home tab
    HISTORY_CSV = "history_csv"  # /heynow history --csv: the file, to the person who asked


class Reply(StrEnum):
    """What a thread reply says; each is owed at most once per message."""

    DELIVERED = "delivered"
    READ = "read"
    STUCK = "stuck"
    GAVE_UP = "gave_up"
    LOST = "lost"


class SenderNotice(StrEnum):
    """Things the sender is told privately after the ack, because of what happened later."""

    REJECTED = "rejected"  # Hey Now refused the send (the reason travels with it)
    UNKNOWN = "unknown"  # the answer was lost
    INTERRUPTED = "interrupted"  # the app stopped while Hey Now was answering
    EXPIRED = "expired"  # the app stopped before sending, and the send is too old now
    POSTED_ELSEWHERE = "posted_elsewhere"  # the channel refused the post: it went to the DM
    NOT_POSTED = "not_posted"  # Slack never took the channel post
    LATE_SENT = "late_sent"  # told unknown, then Hey Now's answer came: it was sent


class OutboxState(StrEnum):
    DUE = "due"
    POSTED = "posted"
    SUPERSEDED = "superseded"  # a later row of the same topic made it pointless
    GIVEN_UP = "given_up"


class MassState(StrEnum):
    """Where a mass send is, from the request to its end. One guarded transition in the store
    moves it, so a double click or two approvers at once decide it once."""

    PENDING = "pending"  # waits for an approver
    APPROVED = "approved"  # approved; waits for its send-not-before time
    RUNNING = "running"  # sending (or waiting out quiet hours, which it says)
    PAUSED = "paused"  # by a person, or by itself after too many failures in a row
    FINISHED = "finished"  # every recipient sent, failed or unknown
    CANCELLED = "cancelled"  # by a person: what was sent stays sent
    STOPPED = "stopped"  # Hey Now refuses mass sends on the platform (it validates contacts)
    REJECTED = "rejected"  # by an approver, with a reason
    EXPIRED = "expired"  # nobody decided in time

    @property
    def final(self) -> bool:
        return self in _MASS_FINAL

    @property
    def decided(self) -> bool:
        return self is not MassState.PENDING and self is not MassState.EXPIRED


_MASS_FINAL = frozenset(
    {MassState.CANCELLED, MassState.STOPPED, MassState.REJECTED, MassState.EXPIRED}
)

MASS_TRANSITIONS: dict[MassState, frozenset[MassState]] = {
    MassState.PENDING: frozenset(
        {MassState.APPROVED, MassState.REJECTED, MassState.EXPIRED, MassState.CANCELLED}
    ),
    MassState.APPROVED: frozenset({MassState.RUNNING, MassState.PAUSED, MassState.CANCELLED}),
    MassState.RUNNING: frozenset(
        {MassState.PAUSED, MassState.FINISHED, MassState.CANCELLED, MassState.STOPPED}
    ),
    MassState.PAUSED: frozenset({MassState.RUNNING, MassState.APPROVED, MassState.CANCELLED}),
    MassState.FINISHED: frozenset({MassState.RUNNING}),  # retry the failed
}


class RecipientState(StrEnum):
    """One recipient of a mass send; like a single send, never re-sent blindly."""

    PENDING = "pending"
    SENDING = "sending"  # a runner holds its lease and is asking Hey Now
    SENT = "sent"  # with its idMessageHey
    FAILED = "failed"  # Hey Now said no (the reason is kept): nothing went out
    UNKNOWN = "unknown"  # the answer was lost: it may have gone out; never re-sent by itself


class MassEvent(StrEnum):
    """What the audit trail of a mass send records, each with who and when."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    TEST_SENT = "test_sent"
    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    QUIET_HOURS = "quiet_hours"  # waits for the quiet hours to end
    QUIET_HOURS_ENDED = "quiet_hours_ended"  # goes on after them
    CANCELLED = "cancelled"
    STOPPED = "stopped"
    FINISHED = "finished"
    EXPIRED = "expired"
    RETRIED = "retried"
    NOT_POSTED = "not_posted"  # Slack never took its approval post


class PauseReason(StrEnum):
    """Who may end a pause: a requester's own, anyone who may follow it; an approver's or the
    run's own (failures in a row), approvers only."""

    BY_PERSON = "by_person"  # the requester
    BY_APPROVER = "by_approver"
    FAILURES = "failures"  # HEYNOW_MASS_MAX_FAILURES in a row


class TeamNotice(StrEnum):
    """What a post in HEYNOW_NOTIFY_CHANNEL is about; each is posted once (its dedupe key)."""

    NEW_CONTACT = "new_contact"  # a client wrote to a platform for the first time
    MORE_CONTACTS = "more_contacts"  # past the posts one look makes: how many more, in one post
    STUCK = "stuck"  # at ? or one tick past HEYNOW_STUCK_MINUTES
    REJECTED = "rejected"  # Hey Now refused a send
    UNKNOWN = "unknown"  # a send's answer was lost
    MASS_PAUSED = "mass_paused"  # a mass send paused itself (failures in a row)
    MORE_PROBLEMS = "more_problems"  # past the alerts one look posts: how many more, in one post
    OUTAGE = "outage"  # Hey Now unreachable or answering 5xx
    RECOVERED = "recovered"  # Hey Now answers again
    LOGIN_REFUSED = "login_refused"  # Hey Now refuses the app's credentials
    LOGIN_OK = "login_ok"  # it takes them again


class Health(StrEnum):
    """Hey Now as the app last found it; only a change of it is news (one alert each way)."""

    UP = "up"
    DOWN = "down"  # unreachable, timing out or answering 5xx
    REFUSED = "refused"  # it answers, but refuses the credentials
