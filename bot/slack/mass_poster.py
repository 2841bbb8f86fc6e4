"""The outbox's mass-send rows: the approval post, its redraws, the summary and the report.

Each is drawn when it goes out, from the request as the store holds it then, so a redraw that
waited behind a rate limit still shows the latest progress, and an old one changes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.domain import MassEvent, OutboxState, PostKind
from bot.domain.mass import MassRequest
from bot.domain.owed import Owed, mass_note
from bot.domain.records import OutboxRow
from bot.i18n import say
from bot.slack import mass_blocks
from bot.slack.mass_report import report_csv

if TYPE_CHECKING:
    from bot.slack.poster import Poster

logger = logging.getLogger(__name__)


class MassPosts:
    def __init__(self, poster: Poster, rate: float, labels: mass_blocks.Labels) -> None:
        self.poster = poster
        self.store = poster.store
        self.rate = rate  # HEYNOW_MASS_RATE, for the ETA
        self.labels = labels

    def request_of(self, row: OutboxRow) -> MassRequest | None:
        request_id = row.payload.get("request")
        return self.store.mass.get(int(request_id)) if request_id is not None else None

    def not_posted(self, row: OutboxRow) -> Owed | None:
        """Its approval post never went out: its requester must not wait for nothing."""
        request = self.request_of(row)
        if request is None:
            return None
        now = self.poster.clock()
        self.store.mass.note(request.id, MassEvent.NOT_POSTED, actor="app", now=now)
        return mass_note(request.id, "not_posted", request.requester, now)

    def deliver(self, row: OutboxRow) -> None:
        request = self.request_of(row)
        if request is None:
            self.store.outbox.set_aside(row, OutboxState.GIVEN_UP, "its mass send is gone")
            return
        if row.kind is PostKind.MASS_POST:
            self._post(row, request)
        elif request.approval_post is None:  # everything else goes under the approval post
            self.poster.give_up(row, "the approval post never went out")
        elif row.kind is PostKind.MASS_UPDATE:
            self._update(row, request)
        elif row.kind is PostKind.MASS_SUMMARY:
            self._summary(row, request)
        else:
            self._report(row, request)

    def _drawn(self, request: MassRequest) -> tuple[str, list[dict]]:
        progress = self.store.mass.progress(request)
        samples = self.store.mass.samples(request.id)
        return mass_blocks.approval_post(request, progress, samples, self.rate, self.labels)

    def _post(self, row: OutboxRow, request: MassRequest) -> None:
        channel = row.channel or ""
        found = self.poster.look_for(row, channel) if row.maybe_posted else None
        if found is None:
            text, blocks = self._drawn(request)
            channel, found = self.poster.post(row, channel, text=text, blocks=blocks)
        self.store.mass.update(request.id, approval_channel=channel, approval_ts=found)
        self.poster.done(row, channel, found)

    def _update(self, row: OutboxRow, request: MassRequest) -> None:
        if row.payload.get("part") == "summary":
            if not request.summary_ts:
                self.store.outbox.set_aside(row, OutboxState.SUPERSEDED)
                return
            text, blocks = mass_blocks.summary(request, self.store.mass.progress(request))
            ts = request.summary_ts
        else:
            text, blocks = self._drawn(request)
            ts = request.approval_ts or ""
        channel = request.approval_channel or ""
        self.poster.call(
            "chat_update", "method:chat.update", channel=channel, ts=ts, text=text, blocks=blocks
        )
        self.poster.done(row, channel, ts)

    def _summary(self, row: OutboxRow, request: MassRequest) -> None:
        channel, thread = request.approval_channel or "", request.approval_ts or ""
        found = self.poster.look_for(row, channel, thread_ts=thread) if row.maybe_posted else None
        if found is None:
            text, blocks = mass_blocks.summary(request, self.store.mass.progress(request))
            channel, found = self.poster.post(
                row, channel, text=text, blocks=blocks, thread_ts=thread
            )
        self.store.mass.update(request.id, summary_ts=found)
        self.poster.done(row, channel, found)

    def _report(self, row: OutboxRow, request: MassRequest) -> None:
        """files_upload_v2 (scope files:write) into the approval post's thread."""
        channel, thread = request.approval_channel or "", request.approval_ts or ""
        round_ = int(row.payload.get("round") or request.round)  # the run it reports on
        title = say("mass.report.title", id=request.id, round=round_)
        self.poster.call(
            "files_upload_v2",
            f"channel:{channel}",
            channel=channel,
            thread_ts=thread,
            filename=mass_blocks.report_csv_name(request, round_),
            content=report_csv(self.store.mass.report(request.id)),
            title=title,
            initial_comment=say("mass.summary.report"),
        )
        self.poster.done(row, channel, None)
