"""The outbox's digest rows: the day's post in HEYNOW_NOTIFY_CHANNEL, then its chart uploaded in
the post's thread, each made once.

The figures are read when the row goes out, for the row's date, so a digest that waited out a
failing Slack shows the day as it stands then. A row makes two calls, and either may be cut off
(a lost answer, a kill -9 between them), so each is found before it is made again:
- the post: its ts is recorded as soon as Slack answers (store.digest.remember_post); a retry
  that finds it recorded does not post again; one whose answer was lost looks for the post by
  its metadata (poster.look_for), as every post of the outbox is looked for;
- the chart: after any earlier attempt, the thread is read for a file of the chart's name
  before uploading it.
poster.done comes last, after the upload.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from babel.dates import format_skeleton
from slack_sdk.errors import SlackApiError

from bot.domain.digest import DayTotals, day_bounds
from bot.domain.records import OutboxRow
from bot.i18n import current, say
from bot.slack import digest_blocks
from bot.slack.digest_chart import chart_png, file_name

if TYPE_CHECKING:
    from bot.slack.poster import Poster

logger = logging.getLogger(__name__)

ALT_TEXT_LIMIT = 1000
CANNOT_READ_THREAD = {"missing_scope", "not_in_channel", "channel_not_found", "thread_not_found"}


class DigestPosts:
    def __init__(self, poster: Poster, *, zone: str, labels: digest_blocks.Labels) -> None:
        self.poster = poster
        self.store = poster.store
        self.zone = zone  # HEYNOW_TIMEZONE: the team's day
        self.labels = labels

    def deliver(self, row: OutboxRow) -> None:
        try:
            day = date.fromisoformat(str(row.payload.get("date")))
        except ValueError:
            self.poster.give_up(row, "a digest row without its date")
            return
        channel = row.channel or ""
        posted = self.store.digest.post_of(day)
        if posted is None and row.maybe_posted:
            found = self.poster.look_for(row, channel)
            if found:
                posted = (channel, found)
                self.store.digest.remember_post(day, channel, found, self.poster.clock())
        if posted is None:
            posted = self._post(row, day, channel)
            self._upload(day, *posted)
        elif not self._chart_is_there(day, *posted):
            self._upload(day, *posted)
        self.poster.done(row, *posted)

    def _post(self, row: OutboxRow, day: date, channel: str) -> tuple[str, str]:
        now = self.poster.clock()
        end = day_bounds(day, self.zone)[1]
        figures = self.store.digest.day(day, self.zone)
        text, blocks = digest_blocks.post(figures, self.labels, now if now < end else None)
        posted_channel, ts = self.poster.post(row, channel, text=text, blocks=blocks)
        self.store.digest.remember_post(day, posted_channel, ts, now)
        return posted_channel, ts

    def _chart_is_there(self, day: date, channel: str, ts: str) -> bool:
        """Whether an earlier attempt's upload reached the thread (its answer lost, or the app
        killed before it could say so). Where the thread cannot be read, it is uploaded again:
        a second chart is better than none."""
        try:
            page = self.poster.call(
                "conversations_replies",
                "method:conversations.replies",
                channel=channel,
                ts=ts,
                limit=200,
            )
        except SlackApiError as exc:
            if str(exc.response.get("error")) not in CANNOT_READ_THREAD:
                raise
            logger.warning("Cannot read the digest's thread (%s)", exc.response.get("error"))
            return False
        name = file_name(day)
        return any(
            shared.get("name") == name
            for message in page.get("messages") or []
            for shared in message.get("files") or []
        )

    def _upload(self, day: date, channel: str, ts: str) -> None:
        """files_upload_v2 (scope files:write) in the post's thread. A refusal (a missing
        scope) leaves the digest without its chart rather than retried for nothing; a 429 or
        a 5xx is tried again, as any call of the outbox."""
        week = self.store.digest.week(day, self.zone)
        try:
            self.poster.call(
                "files_upload_v2",
                f"channel:{channel}",
                channel=channel,
                thread_ts=ts,
                file=chart_png(week),
                filename=file_name(day),
                title=say("digest.chart.file_title"),
                alt_txt=_alt_text(week),
            )
        except SlackApiError as exc:
            if exc.response.status_code >= 500:
                raise
            logger.warning(
                "Slack refused the digest's chart (%s); the digest goes without it",
                exc.response.get("error"),
            )


def _alt_text(week: Sequence[DayTotals]) -> str:
    """What the chart shows, for whoever cannot see it (Slack takes 1,000 characters)."""
    locale = current().locale
    number = current().number
    days = "; ".join(
        say(
            "digest.chart.alt_day",
            day=format_skeleton("MEd", d.day, locale=locale),
            sent=number(d.sent),
            delivered=number(d.delivered),
            read=number(d.read),
        )
        for d in week
    )
    return say("digest.chart.alt", days=days)[:ALT_TEXT_LIMIT]
