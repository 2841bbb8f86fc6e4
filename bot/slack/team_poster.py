"""The outbox's team rows: posts in HEYNOW_NOTIFY_CHANNEL and the redraw of a taken contact.

Each is drawn when it goes out, from the store as it is then, in HEYNOW_LANGUAGE (the channel
is the team's): a contact taken before its post went out is posted as taken.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.domain import OutboxState, SendState, Status, TeamNotice
from bot.domain.records import Message, OutboxRow
from bot.jobs.team_alerts import OUTAGE_MARGIN
from bot.slack import team_blocks

if TYPE_CHECKING:
    from bot.slack.poster import Poster

HEALTH_NEWS = {
    TeamNotice.OUTAGE,
    TeamNotice.RECOVERED,
    TeamNotice.LOGIN_REFUSED,
    TeamNotice.LOGIN_OK,
}
SEND_PROBLEMS = {TeamNotice.REJECTED, TeamNotice.UNKNOWN, TeamNotice.STUCK}


class TeamPosts:
    def __init__(self, poster: Poster, labels: dict[str, str], stuck_minutes: float) -> None:
        self.poster = poster
        self.store = poster.store
        self.labels = labels
        self.stuck_minutes = stuck_minutes

    def post(self, row: OutboxRow) -> None:
        channel = row.channel or ""
        found = self.poster.look_for(row, channel) if row.maybe_posted else None
        if found is None:
            drawn = self._drawn(row)
            if drawn is None:
                self.store.outbox.set_aside(
                    row, OutboxState.SUPERSEDED, "what it was about is gone"
                )
                return
            text, blocks = drawn
            channel, found = self.poster.post(row, channel, text=text, blocks=blocks)
        contact_id = row.payload.get("contact")
        if contact_id is not None:
            self.store.team.posted_contact(int(contact_id), channel, found)
        self.poster.done(row, channel, found)

    def update(self, row: OutboxRow) -> None:
        """A taken contact's post, redrawn to say who took it."""
        contact = self.store.team.contact(int(row.payload.get("contact") or 0))
        if contact is None or not (contact.post_channel and contact.post_ts):
            # Not posted yet: its post will be drawn taken. Never posted: nothing to redraw.
            self.store.outbox.set_aside(row, OutboxState.SUPERSEDED)
            return
        text, blocks = team_blocks.new_contact(contact, self.labels)
        self.poster.call(
            "chat_update",
            "method:chat.update",
            channel=contact.post_channel,
            ts=contact.post_ts,
            text=text,
            blocks=blocks,
        )
        self.poster.done(row, contact.post_channel, contact.post_ts)

    def _drawn(self, row: OutboxRow) -> team_blocks.Drawn | None:
        payload = row.payload
        notice = TeamNotice(str(payload.get("notice")))
        if notice is TeamNotice.NEW_CONTACT:
            contact = self.store.team.contact(int(payload.get("contact") or 0))
            return team_blocks.new_contact(contact, self.labels) if contact else None
        if notice is TeamNotice.MORE_CONTACTS:
            count = int(payload.get("count") or 0)
            return team_blocks.more_contacts(count, str(payload.get("platform")), self.labels)
        if notice is TeamNotice.MORE_PROBLEMS:
            return team_blocks.more_problems(int(payload.get("count") or 0))
        if notice in HEALTH_NEWS:
            return self._health(notice, payload, row.created_at)
        if notice is TeamNotice.MASS_PAUSED:
            request = self.store.mass.get(int(payload.get("mass") or 0))
            detail = str(payload.get("detail") or "")
            return team_blocks.mass_paused(request, detail) if request else None
        message = self.store.messages.get(int(payload.get("message") or 0))
        if message is None or notice not in SEND_PROBLEMS or not _still(notice, message):
            return None  # gone, or no longer a problem (a late answer, delivered meanwhile)
        return team_blocks.send_problem(
            notice, message, self.stuck_minutes, self._failure(message.id)
        )

    def _health(self, notice: TeamNotice, payload: dict[str, Any], at: float) -> team_blocks.Drawn:
        since = float(payload["since"]) if payload.get("since") else None
        folded = 0
        if since is not None and notice is TeamNotice.RECOVERED:
            folded = self.store.team.failed_between(since - OUTAGE_MARGIN, at)
        detail = str(payload.get("detail") or "")
        return team_blocks.health_news(notice, since, at, detail, folded)

    def _failure(self, message_id: int) -> dict[str, Any]:
        """What the sender's note of a refused send kept of Hey Now's refusal."""
        for owed in self.store.outbox.for_message(message_id):
            if str(owed.get("dedupe_key", "")).endswith(":notice:rejected"):
                payload = json.loads(owed.get("payload") or "{}")
                return payload if isinstance(payload, dict) else {}
        return {}


def _still(notice: TeamNotice, message: Message) -> bool:
    """Whether a send is still the problem it was when the alert was owed: an unknown send
    corrected by a late answer, or a stuck one delivered while the post waited, is not."""
    if notice is TeamNotice.STUCK:
        return message.send_state is SendState.SENT and message.status.rank < Status.DELIVERED.rank
    return message.send_state.value == notice.value
