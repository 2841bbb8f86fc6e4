"""The outbox's HISTORY_CSV rows: the file of `/heynow history --csv`, in the asker's DM.

The file is written when it goes out, from the query as it was asked (its window ends at the
moment of the ask), in the asker's language and zone (the row's "locale" and "zone"). A DM,
not the channel where the command was typed: a history is private to the one who asked.

A file upload carries no metadata to look it up by, so an upload whose answer was lost is made
again (a second file is possible; no file is not). Slack refusing the upload for good (a scope,
a workspace that takes no files) gives the row up and tells the person in their DM.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.domain.history import HistoryQuery
from bot.domain.records import OutboxRow
from bot.i18n import current, plural, say
from bot.mrkdwn import as_plain
from bot.services.history import HistoryFile, MessageHistory
from bot.slack.history_blocks import Labels, title
from bot.slack.history_report import file_date, history_csv

if TYPE_CHECKING:
    from bot.slack.poster import Poster

logger = logging.getLogger(__name__)

TITLE_LIMIT = 250  # a file's title, as Slack shows it above the file

# Slack will not take this file however often it is asked: say so instead of trying for hours.
REFUSED = {
    "missing_scope",
    "not_allowed_token_type",
    "file_uploads_disabled",
    "file_upload_disabled",
    "restricted_action",
    "channel_not_found",
    "not_in_channel",
    "invalid_channel",
    "user_not_found",
    "cannot_dm_bot",
}


class HistoryFiles:
    def __init__(self, poster: Poster, history: MessageHistory, labels: Labels) -> None:
        self.poster = poster
        self.history = history
        self.labels = labels

    def deliver(self, row: OutboxRow) -> None:
        query = HistoryQuery.from_payload(row.payload)
        user = row.user or query.viewer
        try:
            channel = self._dm(user)
            found = self.history.file(query)
            content, written = history_csv(found.entries, self.labels)
            self.poster.call(
                "files_upload_v2",
                f"channel:{row.channel}",
                channel=channel,
                filename=say("history.csv.file_name", date=file_date(query.until)),
                content=content,
                title=as_plain(title(query, mentions=False), TITLE_LIMIT),
                initial_comment=comment(found, written),
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error not in REFUSED:
                raise  # the poster backs off and tries again
            self._refused(row, user, error)
            return
        self.poster.done(row, channel, None)

    def _dm(self, user: str) -> str:
        """The DM channel with the person (conversations.open, scope im:write)."""
        opened = self.poster.call("conversations_open", "method:conversations.open", users=user)
        return str((opened.get("channel") or {}).get("id") or user)

    def _refused(self, row: OutboxRow, user: str, error: str) -> None:
        """Giving the row up tells its asker (Poster._give_up), once."""
        logger.error("Slack refused the history file %s: %s", row.dedupe_key, error)
        self.poster.give_up(row, error)


def comment(found: HistoryFile, written: int) -> str:
    """What the file's message says: how many messages it holds, and when it was cut."""
    if found.cut:
        return say(
            "history.csv.cut",
            shown=current().number(written),
            count=current().number(found.total),
        )
    return plural("history.csv.comment", written)
