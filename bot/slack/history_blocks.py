"""`/heynow history`: the newest messages of a window, as the person who asked reads them.

One section per message: its reference and time (the reader's zone), the client and platform,
its status in the words of the tracking post (bot.slack.render), a short excerpt, and who sent
it (in an approver's view of other people's) and where its post is. The app does not know its
workspace's address, so a post is named by its channel (`<#C123>`), not linked.

Every text is escaped and cut, and messages past the budget of one Slack message are left to
the count of those not shown, which points to the file (`--csv`).
"""

from __future__ import annotations

import re

from bot.domain import SendState
from bot.domain.history import MAX_DAYS, HistoryEntry, HistoryQuery
from bot.heynow.channels import PlatformRef, platform_of
from bot.i18n import current, plural, say
from bot.services.history import HistoryPage
from bot.slack.render import (
    MESSAGE_TEXT_BUDGET,
    NAME_LIMIT,
    SEND_STATE_EMOJI,
    STATUS_EMOJI,
    Block,
    context,
    escape,
    outcome_words,
    section,
    send_state_words,
    shorten,
    slack_len,
    status_words,
)

_CHANNEL = re.compile(r"^[CG][A-Z0-9]+$")  # a channel's post (a DM's is no link to anyone else)
EXCERPT_LIMIT = 80  # a message's text, on one line
CLIENT_LIMIT = 60  # a client's name or id, and a typed client in the title
Labels = dict[str, str]  # a platform (`2:104857600123456`) -> what people call it
ROOM = 1_500  # of the budget, kept for the title and the last line


def history_blocks(page: HistoryPage, labels: Labels) -> list[Block]:
    query = page.query
    blocks = [section(title(query, mentions=True))]
    if not page.entries:
        blocks.append(section(say("history.empty")))
        if query.days < MAX_DAYS:
            blocks.append(context(say("history.further", max=MAX_DAYS)))
        return blocks
    used, shown = 0, 0
    for entry in page.entries:
        text = entry_text(entry, query, labels)
        used += slack_len(text)
        if used > MESSAGE_TEXT_BUDGET - ROOM:
            break
        blocks.append(section(text))
        shown += 1
    left = page.total - shown
    blocks.append(context(plural("history.more", left) if left else say("history.hint")))
    return blocks


def title(query: HistoryQuery, *, mentions: bool) -> str:
    """What the window holds: whose messages, to whom, over how many days. Outside Slack's
    mrkdwn (a file's title), a person is their id, not a mention."""
    return say("history.title", scope=scope(query, mentions=mentions), window=window(query))


def scope(query: HistoryQuery, *, mentions: bool) -> str:
    client = shorten(query.client_typed, CLIENT_LIMIT)
    if query.sender is None:
        whose = "everyone"
    elif query.sender == query.viewer:
        whose = "mine"
    else:
        whose = "of"
    user = f"<@{escape(query.sender)}>" if mentions else escape(query.sender or "")
    return say(f"history.scope.{whose}" + ("_to" if client else ""), user=user, client=client)


def window(query: HistoryQuery) -> str:
    return plural("history.window", query.days)


def entry_text(entry: HistoryEntry, query: HistoryQuery, labels: Labels) -> str:
    ref = say("history.mass_ref", id=entry.mass_id) if entry.mass_id else f"`#{entry.id}`"
    head = say(
        "history.entry_head",
        ref=ref,
        when=current().when(entry.at),
        recipient=recipient(entry),
        platform=shorten(label(entry, labels), NAME_LIMIT),
    )
    lines = [head, status(entry)]
    excerpt = shorten(" ".join(entry.text.split()), EXCERPT_LIMIT)
    if excerpt:
        lines.append(f"> {excerpt}")
    where = []
    if query.everyone:  # an approver's view of the team's messages
        where.append(say("history.by", sender=f"<@{escape(entry.sender)}>"))
    if entry.posted_channel and _CHANNEL.match(entry.posted_channel):
        where.append(say("history.post_in", channel=f"<#{escape(entry.posted_channel)}>"))
    if where:
        lines.append(" · ".join(where))
    return "\n".join(lines)


def recipient(entry: HistoryEntry) -> str:
    client = shorten(entry.client_id, CLIENT_LIMIT)
    if not entry.client_name:
        return f"*{client}*"
    return f"*{shorten(entry.client_name, CLIENT_LIMIT)}* ({client})"


def label(entry: HistoryEntry, labels: Labels) -> str:
    """What people call the platform (HEYNOW_PLATFORMS' label), or its channel and id."""
    ref: PlatformRef = platform_of(entry)
    return labels.get(str(ref), ref.label)


def status(entry: HistoryEntry) -> str:
    """The status as the tracking post says it, with its ticks."""
    if entry.send_state is not SendState.SENT:
        return f"{SEND_STATE_EMOJI[entry.send_state]} {send_state_words(entry.send_state)}"
    words = status_words(entry.status, platform_of(entry).channel)
    return f"{STATUS_EMOJI[entry.status]} {words}" + outcome_words(entry.outcome)
