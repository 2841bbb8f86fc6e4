"""The outbox poster: every Slack call the app owes, made once, in order within a thread.

Poster threads each claim one due row (a lease in SQLite), post it, and record the answer; no
lock is held across a network call, so a slow or rate-limited channel holds up only itself.
- A 429 pauses only that channel (posts) or that method (updates) for its Retry-After.
- Other failures back off exponentially with jitter until HEYNOW_SLACK_GIVE_UP_MINUTES, then
  the row is given up, logged, and the person who waits for it is told.
- A post whose answer was lost (a time-out, a 5xx, a crash mid-call) may be in Slack already:
  before posting it again the poster looks for it (each post carries its dedupe key in the
  message `metadata`; `conversations.history`/`.replies` return it with include_all_metadata).
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.domain import OutboxState, PostKind, Reply, SenderNotice
from bot.domain.owed import Owed, direct_message, sender_notice
from bot.domain.records import Message, OutboxRow
from bot.i18n import Texts, current, say, speaking
from bot.slack import mass_blocks, render
from bot.slack.explain import sender_note
from bot.slack.mass_poster import MassPosts

logger = logging.getLogger(__name__)

METADATA_TYPE = "heynow_post"
# The command's channel cannot take the post: follow the message in the sender's DM instead.
CHANNEL_UNUSABLE = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
# Slack refused the call itself: sending it again cannot work.
PERMANENT = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "invalid_arguments",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "metadata_too_large",
    "message_not_found",
    "cant_update_message",
    "edit_window_closed",
}
CANNOT_LOOK = {"missing_scope", "not_in_channel", "channel_not_found", "thread_not_found"}
SHOWN = {"chat_postMessage", "chat_update", "chat_postEphemeral"}  # what people read
MASS_KINDS = {PostKind.MASS_POST, PostKind.MASS_UPDATE, PostKind.MASS_SUMMARY, PostKind.MASS_REPORT}
RESPONSE_URL_SECONDS = 25 * 60  # Slack honours a response_url for 30 minutes
LOOKUP_PAGES = 5


@dataclass(frozen=True)
class PostPolicy:
    give_up_after: float  # seconds from when the call was owed
    lease_seconds: float  # longer than one Slack call can take
    first_backoff: float = 1.0
    max_backoff: float = 60.0


class RateLimited(Exception):
    """A 429: wait `retry_after` seconds before calling `key` again."""

    def __init__(self, key: str, retry_after: float) -> None:
        super().__init__(f"rate limited on {key} for {retry_after}s")
        self.key = key
        self.retry_after = retry_after


class Poster:
    def __init__(
        self,
        store: Any,
        slack: WebClient,
        *,
        owner: str,
        policy: PostPolicy,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        simulated: bool = False,
        fallback: Texts | None = None,
        mass_rate: float = 10.0,
        labels: dict[str, str] | None = None,
    ) -> None:
        """`slack` must not retry by itself (no retry handlers): a blind retry of a post whose
        answer was lost is how a post appears twice. `fallback` is the language of posts
        about messages recorded without their sender's (HEYNOW_LANGUAGE)."""
        self.store = store
        self.fallback = fallback or current()
        self.slack = slack
        self.simulated = simulated  # HEYNOW_SIMULATOR in a real workspace: every post says so
        self.owner = owner
        self.policy = policy
        self.clock = clock
        self._jitter = jitter
        self._claims = itertools.count(1)
        self._dms: dict[str, str] = {}
        self._paused: dict[str, float] = {}
        self._paused_lock = threading.Lock()
        self.mass = MassPosts(self, mass_rate, labels or {})
        self._writers: dict[PostKind, Callable[[OutboxRow], None]] = {}
        self._looked_up: set[PostKind] = set()

    def register(
        self, kind: PostKind, deliver: Callable[[OutboxRow], None], *, posts: bool = False
    ) -> None:
        """Let `deliver` make the calls of `kind` rows (the team's view adds its kinds so).
        `posts`: a lost answer may mean the call was made, so it is looked up before again."""
        self._writers[kind] = deliver
        if posts:
            self._looked_up.add(kind)

    # -- the loop's step -----------------------------------------------------------------

    def step(self) -> bool:
        """Claim one due row and deliver it; False when nothing is due."""
        token = f"{self.owner}:{next(self._claims)}"  # per claim: sibling threads share owner
        row = self.store.outbox.claim(token, self.clock(), self.policy.lease_seconds)
        if row is None:
            return False
        self.deliver(row)
        return True

    def deliver(self, row: OutboxRow) -> None:
        now = self.clock()
        paused_until = self._paused_until(self._pause_key(row), now)
        if paused_until:
            self._retry(row, "waiting out a rate limit", paused_until, row.maybe_posted)
            return
        if now - row.first_tried_at >= self.policy.give_up_after:
            self._last_look_then_give_up(row)
            return
        try:
            with speaking(self._texts_of_row(row)):
                self._call(row)
        except RateLimited as exc:
            self._pause(exc.key, now + exc.retry_after)
            logger.info("Slack rate-limits %s for %ss", exc.key, exc.retry_after)
            self._retry(row, "ratelimited", now + exc.retry_after, row.maybe_posted)
            if exc.key.startswith("channel:"):
                self.store.outbox.defer_channel(
                    exc.key.removeprefix("channel:"), now + exc.retry_after
                )
        except SlackApiError as exc:
            self._refused(row, exc)
        except Exception as exc:  # no answer (time-out, connection): it may have gone out
            logger.warning("Slack did not answer %s %s: %s", row.kind, row.dedupe_key, exc)
            self._back_off(row, type(exc).__name__, maybe_posted=self._posts(row))

    def texts_of(self, message: Message | None) -> Texts:
        """What a post about `message` is written in: its sender's language and zone, as
        recorded with it (a channel post and its thread speak the sender's language)."""
        if message is None:
            return self.fallback
        return Texts.recorded(message.locale, message.zone, self.fallback)

    def _texts_of_row(self, row: OutboxRow) -> Texts:
        """A mass send's rows speak its requester's language; a row that names its reader's
        language (a Home tab, a history file) speaks it; the others their message's."""
        if row.message is None and row.payload.get("locale"):
            return Texts.recorded(row.payload["locale"], row.payload.get("zone"), self.fallback)
        if row.message is None and row.payload.get("request") is not None:
            request = self.mass.request_of(row)
            if request is not None:
                return Texts.recorded(request.locale, request.zone, self.fallback)
        return self.texts_of(row.message)

    # -- what bot.slack.mass_poster calls ---------------------------------------------------

    def post(self, row: OutboxRow, channel: str, **fields: Any) -> tuple[str, str]:
        return self._post(row, channel, **fields)

    def call(self, method: str, pause_key: str, **fields: Any) -> Any:
        return self._slack(method, pause_key, **fields)

    def look_for(self, row: OutboxRow, channel: str, thread_ts: str | None = None) -> str | None:
        return self._look_for(row, channel, thread_ts)

    def done(self, row: OutboxRow, channel: str | None, ts: str | None) -> None:
        self._posted(row, channel, ts)

    def give_up(self, row: OutboxRow, error: str) -> None:
        self._give_up(row, error)

    # -- the calls ------------------------------------------------------------------------

    def _call(self, row: OutboxRow) -> None:
        if row.kind is PostKind.ANNOUNCE:
            self._announce(row, _message(row))
        elif row.kind is PostKind.STATUS_LINE:
            self._update_line(row, _message(row))
        elif row.kind is PostKind.REPLY:
            self._reply(row, _message(row))
        elif row.kind is PostKind.EPHEMERAL:
            self._ephemeral(row)
        elif row.kind in MASS_KINDS:
            self.mass.deliver(row)
        elif row.kind in self._writers:
            self._writers[row.kind](row)
        else:
            self._direct(row)

    def _announce(self, row: OutboxRow, message: Message) -> None:
        target = row.attempt_channel or message.slack_channel
        found = self._look_for(row, target) if row.maybe_posted else None
        if found:  # it shows the status of its first attempt: whatever is owed since must go
            self._posted(row, target, found, shown_line=None)
            return
        text, blocks = render.tracking_message(message)
        try:
            channel, ts = self._post(row, message.slack_channel, text=text, blocks=blocks)
            tell = None
        except SlackApiError as exc:
            if _error(exc) not in CHANNEL_UNUSABLE:
                raise
            logger.info("Cannot post in %s (%s); using the DM", message.slack_channel, _error(exc))
            channel, ts = self._post(row, self._dm(message.slack_user), text=text, blocks=blocks)
            tell = sender_notice(message, SenderNotice.POSTED_ELSEWHERE, self.clock())
        self._posted(row, channel, ts, shown_line=message.line_state, tell=tell)

    def _update_line(self, row: OutboxRow, message: Message) -> None:
        """Show the status as it is now; skip an update that would change nothing."""
        if message.thread is None or message.shown_line == message.line_state:
            self.store.outbox.set_aside(row, OutboxState.SUPERSEDED)
            return
        text, blocks = render.tracking_message(message)
        channel, ts = message.thread
        self._slack(
            "chat_update", "method:chat.update", channel=channel, ts=ts, text=text, blocks=blocks
        )
        self._posted(row, channel, ts, shown_line=message.line_state)

    def _reply(self, row: OutboxRow, message: Message) -> None:
        if message.thread is None:
            self._give_up(row, "its channel post never went out")
            return
        channel, thread_ts = message.thread
        found = self._look_for(row, channel, thread_ts=thread_ts) if row.maybe_posted else None
        if found:
            self._posted(row, channel, found)
            return
        text = render.thread_update(Reply(str(row.payload.get("reply"))), message)
        posted_channel, ts = self._post(row, channel, text=text, thread_ts=thread_ts)
        self._posted(row, posted_channel, ts)

    def _ephemeral(self, row: OutboxRow) -> None:
        """A note only the sender sees: through the command's response_url while Slack honours
        it (it works where the bot is no member), else chat.postEphemeral, else their DM.
        Ephemeral notes cannot be looked up, so a lost answer may show one twice."""
        message = row.message
        text = self._note_text(row)
        blocks = render.error(text)
        fresh = (
            message
            and message.response_url
            and self.clock() - message.created_at < RESPONSE_URL_SECONDS
        )
        if message and message.response_url and fresh:
            answer = WebhookClient(message.response_url, timeout=self.slack.timeout).send(
                text=text, blocks=blocks, response_type="ephemeral"
            )
            if answer.status_code == 200:
                self._posted(row, row.channel, None)
                return
            logger.info(
                "response_url answered %s; posting the note another way", answer.status_code
            )
        key = f"channel:{row.channel}"
        try:
            self._slack(
                "chat_postEphemeral",
                key,
                channel=row.channel,
                user=row.user,
                text=text,
                blocks=blocks,
            )
            self._posted(row, row.channel, None)
        except SlackApiError as exc:
            if _error(exc) not in CHANNEL_UNUSABLE:
                raise
            channel, ts = self._post(row, self._dm(row.user or ""), text=text, blocks=blocks)
            self._posted(row, channel, ts)

    def _direct(self, row: OutboxRow) -> None:
        text = self._note_text(row)
        target = row.attempt_channel if row.maybe_posted and row.attempt_channel else None
        found = self._look_for(row, target) if target else None
        if found and target:
            self._posted(row, target, found)
            return
        channel = self._dm(row.user or row.channel or "")
        # A note about a send is a warning; a mass send's news and a test's outcome are news.
        news = "mass_note" in row.payload or "request" in row.payload or "text" in row.payload
        blocks = [render.section(text)] if news else render.error(text)
        channel, ts = self._post(row, channel, text=text, blocks=blocks)
        self._posted(row, channel, ts)

    def _dm(self, user: str) -> str:
        """The DM channel with a person (conversations.open, scope im:write): its id, not the
        user's, is where a lost DM can be looked for."""
        with self._paused_lock:
            known = self._dms.get(user)
        if known:
            return known
        opened = self._slack("conversations_open", "method:conversations.open", users=user)
        channel = str((opened.get("channel") or {}).get("id") or user)
        with self._paused_lock:
            self._dms[user] = channel
        return channel

    def _note_text(self, row: OutboxRow) -> str:
        if row.payload.get("mass_note"):
            request = self.mass.request_of(row)
            if request is not None:
                return mass_blocks.note(request, str(row.payload["mass_note"]), row.payload)
        notice = SenderNotice(row.payload.get("notice", SenderNotice.NOT_POSTED))
        message = row.message
        if message is None:
            return str(row.payload.get("text", ""))
        return sender_note(notice, message, row.payload)

    # -- Slack ----------------------------------------------------------------------------

    def _post(self, row: OutboxRow, channel: str, **fields: Any) -> tuple[str, str]:
        """chat.postMessage carrying the row's dedupe key, so a lost answer can be found."""
        self._remember_attempt(row, channel)
        response = self._slack(
            "chat_postMessage",
            f"channel:{channel}",
            channel=channel,
            metadata={"event_type": METADATA_TYPE, "event_payload": {"key": row.dedupe_key}},
            **fields,
        )
        return str(response["channel"]), str(response["ts"])

    def _slack(self, method: str, pause_key: str, **fields: Any) -> Any:
        if self.simulated and method in SHOWN:
            fields = render.simulated(fields)
        try:
            return getattr(self.slack, method)(**fields)
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                raise RateLimited(pause_key, _retry_after(exc)) from exc
            raise

    def _look_for(self, row: OutboxRow, channel: str, thread_ts: str | None = None) -> str | None:
        """The ts of this row's post if an earlier attempt made it (found by its metadata).

        A public channel the bot posts in without being a member cannot be read: it joins it
        (scope channels:join) and looks. Only where it cannot look at all (a missing scope) does
        it post again, with a warning: a duplicate is then possible."""
        try:
            return self._search(row, channel, thread_ts)
        except SlackApiError as exc:
            if _error(exc) == "not_in_channel" and self._join(channel):
                return self._search(row, channel, thread_ts)
            if _error(exc) not in CANNOT_LOOK:
                raise
            logger.warning(
                "Cannot look for an earlier post of %s in %s (%s); posting it again",
                row.dedupe_key,
                channel,
                _error(exc),
            )
            return None

    def _search(self, row: OutboxRow, channel: str, thread_ts: str | None) -> str | None:
        cursor = None
        for _ in range(LOOKUP_PAGES):
            if thread_ts:
                page = self._slack(
                    "conversations_replies",
                    "method:conversations.replies",
                    channel=channel,
                    ts=thread_ts,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                page = self._slack(
                    "conversations_history",
                    "method:conversations.history",
                    channel=channel,
                    oldest=f"{row.created_at - 60:.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            for found in page.get("messages") or []:
                payload = (found.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == row.dedupe_key:
                    logger.info(
                        "%s was posted before its answer was lost; not posting again",
                        row.dedupe_key,
                    )
                    return str(found["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def _join(self, channel: str) -> bool:
        try:
            self._slack("conversations_join", "method:conversations.join", channel=channel)
        except SlackApiError as exc:
            logger.info("Cannot join %s to look for a post: %s", channel, _error(exc))
            return False
        return True

    # -- recording ------------------------------------------------------------------------

    def _remember_attempt(self, row: OutboxRow, channel: str) -> None:
        """Where this attempt goes, so that a crash mid-call knows where to look later."""
        if row.attempt_channel != channel:
            self.store.outbox.note_attempt(row, channel)

    def _posted(
        self,
        row: OutboxRow,
        channel: str | None,
        ts: str | None,
        *,
        shown_line: str | None = None,
        tell: Owed | None = None,
    ) -> None:
        self.store.outbox.posted(row, channel, ts, self.clock(), shown_line, tell)

    def _refused(self, row: OutboxRow, exc: SlackApiError) -> None:
        error = _error(exc)
        status = exc.response.status_code
        if error in PERMANENT:
            self._give_up(row, error)
        elif status >= 500:
            self._back_off(row, f"HTTP {status}", maybe_posted=self._posts(row))
        else:
            self._back_off(row, error, maybe_posted=row.maybe_posted)

    def _back_off(self, row: OutboxRow, error: str, *, maybe_posted: bool) -> None:
        delay = min(self.policy.max_backoff, self.policy.first_backoff * 2 ** (row.attempts - 1))
        at = self.clock() + delay * (0.5 + self._jitter() / 2)
        if at - row.first_tried_at >= self.policy.give_up_after:
            self._last_look_then_give_up(row, error)
            return
        logger.info(
            "Posting %s failed (%s); trying again in %.1fs",
            row.dedupe_key,
            error,
            at - self.clock(),
        )
        self._retry(row, error, at, maybe_posted)

    def _retry(self, row: OutboxRow, error: str, at: float, maybe_posted: bool) -> None:
        self.store.outbox.retry_later(row, error=error, at=at, maybe_posted=maybe_posted)

    def _last_look_then_give_up(self, row: OutboxRow, error: str = "") -> None:
        """Past the give-up time: a post that may have gone out is looked for once more, so
        that nobody is told "not posted" about a post that is there."""
        message = row.message
        if (
            row.maybe_posted
            and message is not None
            and row.kind in (PostKind.ANNOUNCE, PostKind.REPLY)
        ):
            try:
                if row.kind is PostKind.ANNOUNCE:
                    target = row.attempt_channel or message.slack_channel
                    found = self._look_for(row, target)
                elif message.thread:
                    target, thread_ts = message.thread
                    found = self._look_for(row, target, thread_ts=thread_ts)
                else:
                    found, target = None, ""
            except Exception:
                found = None
            if found:
                self._posted(row, target, found)
                return
        self._give_up(row, error or row_error(row))

    def _give_up(self, row: OutboxRow, error: str) -> None:
        """Stop trying; tell the person who waits for it, if someone does: the sender of a
        channel post that never appeared, and of a private note that never reached them (in
        a DM, their last way in)."""
        logger.error("Gave up posting %s to Slack: %s", row.dedupe_key, error)
        tell = None
        message = row.message
        if row.kind is PostKind.ANNOUNCE and message is not None:
            tell = direct_message(
                f"{row.dedupe_key}:given_up",
                message.slack_user,
                self.clock(),
                message.id,
                notice=SenderNotice.NOT_POSTED.value,
            )
        elif row.kind is PostKind.MASS_POST:
            tell = self.mass.not_posted(row)
        elif row.kind is PostKind.HISTORY_CSV and row.user:
            with speaking(self._texts_of_row(row)):  # the asker's language, kept with the row
                text = say("history.csv.failed", error=error)
            tell = direct_message(
                f"{row.dedupe_key}:given_up", row.user, self.clock(), None, text=text
            )
        elif row.kind is PostKind.EPHEMERAL and row.user:
            tell = direct_message(
                f"{row.dedupe_key}:given_up",
                row.user,
                self.clock(),
                message.id if message else None,
                **row.payload,
            )
        self.store.outbox.set_aside(row, OutboxState.GIVEN_UP, error, tell)

    # -- pauses ---------------------------------------------------------------------------

    def _posts(self, row: OutboxRow) -> bool:
        return _posts(row) or row.kind in self._looked_up

    def _pause_key(self, row: OutboxRow) -> str:
        message = row.message
        if row.kind in (PostKind.STATUS_LINE, PostKind.MASS_UPDATE, PostKind.TEAM_UPDATE):
            return "method:chat.update"
        if row.kind is PostKind.HOME:
            return "method:views.publish"
        if row.kind in (PostKind.REPLY,) and message is not None and message.thread:
            return f"channel:{message.thread[0]}"
        if row.kind is PostKind.ANNOUNCE and message is not None:
            return f"channel:{row.attempt_channel or message.slack_channel}"
        return f"channel:{row.channel}"

    def _pause(self, key: str, until: float) -> None:
        with self._paused_lock:
            self._paused[key] = max(until, self._paused.get(key, 0.0))

    def _paused_until(self, key: str, now: float) -> float | None:
        with self._paused_lock:
            until = self._paused.get(key)
            if until is not None and until <= now:
                del self._paused[key]
                return None
            return until

    # -- the way around a failing database --------------------------------------------------

    def tell_directly(self, message: Message, text: str) -> None:
        """Best effort, without the outbox: used only when the database cannot hold the note."""
        try:
            if message.response_url:
                WebhookClient(message.response_url, timeout=self.slack.timeout).send(
                    text=text, blocks=render.error(text), response_type="ephemeral"
                )
                return
            self.slack.chat_postEphemeral(
                channel=message.slack_channel,
                user=message.slack_user,
                text=text,
                blocks=render.error(text),
            )
        except Exception:
            logger.exception(
                "Could not tell %s what the database could not keep", message.slack_user
            )


def _message(row: OutboxRow) -> Message:
    if row.message is None:
        raise ValueError(f"outbox row {row.dedupe_key} lost its message")
    return row.message


def _posts(row: OutboxRow) -> bool:
    """Whether a lost answer to this row's call may mean it was made (an update is harmless
    to repeat, so it needs no looking up)."""
    return row.kind in (
        PostKind.ANNOUNCE,
        PostKind.REPLY,
        PostKind.DM,
        PostKind.EPHEMERAL,
        PostKind.MASS_POST,
        PostKind.MASS_SUMMARY,
    )


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")


def _retry_after(exc: SlackApiError) -> float:
    headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
    value = headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(1.0, float(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0


def row_error(row: OutboxRow) -> str:
    return f"not posted within the give-up time ({row.attempts - 1} attempts)"
