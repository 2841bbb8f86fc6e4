"""What mass sends show in Slack: the approval post (updated in place with the progress), its
summary, the notes to the requester, and the forms to reject and to send a test.

Built like bot.slack.render: every text from the catalogues, everything a person typed or Hey
Now sent escaped, every payload within Slack's limits.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain import MassState, PauseReason
from bot.domain.mass import MassRecipient, MassRequest, Progress
from bot.heynow import Channel, PlatformRef
from bot.i18n import current, knows, plural, say
from bot.slack.render import Block, context, escape, section, sections, shorten

SAMPLE_LIMIT = 600  # each sample text on the approval post
BAR_WIDTH = 20
REASON_LIMIT = 500  # a rejection's reason, as typed
REJECT_FORM_ID = "heynow_mass_reject"
TEST_FORM_ID = "heynow_mass_test"
# The buttons each state offers; their action ids are handled by handlers.actions.
BUTTONS: dict[MassState, tuple[tuple[str, str | None], ...]] = {
    MassState.PENDING: (("approve", "primary"), ("reject", "danger"), ("test", None)),
    MassState.APPROVED: (("pause", None), ("cancel", "danger")),
    MassState.RUNNING: (("pause", None), ("cancel", "danger")),
    MassState.PAUSED: (("resume", "primary"), ("cancel", "danger")),
    MassState.FINISHED: (("retry", None),),
}


Labels = dict[str, str]  # a platform (`2:104857600123456`) -> what people call it


def ref_of(request: MassRequest) -> PlatformRef:
    return request.ref


def label_of(request: MassRequest, labels: Labels) -> str:
    """The platform as HEYNOW_MASS_PLATFORMS or HEYNOW_PLATFORMS name it, escaped."""
    ref = ref_of(request)
    return escape(labels.get(str(ref), ref.label))


def approval_post(
    request: MassRequest,
    progress: Progress,
    samples: list[MassRecipient],
    rate: float,
    labels: Labels,
) -> tuple[str, list[Block]]:
    """The request as approvers see it, and as it runs: who asked, from where, how many, what
    they will read, and what can be done now."""
    head = plural(
        "mass.head",
        request.total,
        id=request.id,
        requester=f"<@{request.requester}>",
        platform=label_of(request, labels),
    )
    lines = [head, *_left_out(request), _state_line(request, progress, rate)]
    distinct = list(dict.fromkeys(s.text for s in samples))  # a text with no placeholder is one
    quoted = [say("mass.sample"), *(_quote(text) for text in distinct)] if distinct else []
    blocks = [*sections(lines), *sections(quoted)] if quoted else sections(lines)
    blocks.append(context(_when_line(request)))
    buttons = _buttons(request, progress)
    if buttons:
        blocks.append({"type": "actions", "block_id": f"mass_{request.id}", "elements": buttons})
    notification = say("mass.notification", id=request.id, state=_state_word(request.state))
    return notification, blocks


def _left_out(request: MassRequest) -> list[str]:
    left = {reason: count for reason, count in sorted(request.left_out.items()) if count}
    if not left:
        return []
    parts = [plural(f"mass.left_out.{reason}", count) for reason, count in left.items()]
    return [say("mass.left_out", parts=", ".join(parts))]


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in shorten(text, SAMPLE_LIMIT).splitlines() or [""])


def _when_line(request: MassRequest) -> str:
    texts = current()
    parts = []
    if request.not_before:
        parts.append(say("mass.not_before", when=texts.when(request.not_before)))
    if request.state is MassState.PENDING and request.expires_at:
        parts.append(say("mass.expires", when=texts.when(request.expires_at)))
    if request.decided_by and request.state is not MassState.PENDING:
        parts.append(
            say(
                "mass.decided_by",
                who=f"<@{request.decided_by}>",
                when=texts.when(request.decided_at or 0),
            )
        )
    return " · ".join(parts) or say("mass.send_now")


def _state_word(state: MassState) -> str:
    return say(f"mass.state.{state}")


def _state_line(request: MassRequest, progress: Progress, rate: float) -> str:
    state = request.state
    if state is MassState.PENDING:
        return say("mass.line.pending")
    if state is MassState.REJECTED:
        return say("mass.line.rejected", reason=shorten(request.reason or "", REASON_LIMIT))
    if state is MassState.EXPIRED:
        return say("mass.line.expired")
    if state is MassState.STOPPED:
        return say("mass.line.stopped")
    line = f"{bar(progress)}\n{counts(progress)}"
    if state is MassState.RUNNING and request.quiet_until:
        line += "\n" + say("mass.line.quiet", until=current().when(request.quiet_until))
    elif state is MassState.RUNNING and progress.remaining:
        eta = progress.eta_seconds(rate)
        line += "\n" + say("mass.line.rate", rate=current().number(round(rate)), eta=_duration(eta))
    elif state is MassState.PAUSED:
        why = "failures" if request.pause_reason == PauseReason.FAILURES else "person"
        line += "\n" + say(f"mass.line.paused.{why}", error=failure_words(request.reason or ""))
    elif state is not MassState.RUNNING:
        line += "\n" + say(f"mass.line.{state}")
    return line


def bar(progress: Progress) -> str:
    total = max(progress.total, 1)
    filled = round(BAR_WIDTH * progress.done / total)
    return f"`{'█' * filled}{'░' * (BAR_WIDTH - filled)}` {round(100 * progress.done / total)}%"


def counts(progress: Progress) -> str:
    number = current().number
    return say(
        "mass.counts",
        sent=number(progress.sent),
        failed=number(progress.failed),
        unknown=number(progress.unknown),
        remaining=number(progress.remaining),
    )


def _duration(seconds: float | None) -> str:
    if not seconds:
        return say("mass.eta.none")
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return plural("mass.eta.minutes", minutes)
    return plural("mass.eta.hours", round(minutes / 60))


def buttons(request: MassRequest, progress: Progress) -> list[Block]:
    """The buttons its state offers, as its approval post shows them (the Home tab shows the
    same ones, so one set of handlers answers both)."""
    return _buttons(request, progress)


def state_line(request: MassRequest, progress: Progress, rate: float) -> str:
    """Where it is: waiting, or its progress bar and counts, as on its approval post."""
    return _state_line(request, progress, rate)


def _buttons(request: MassRequest, progress: Progress) -> list[Block]:
    chosen = BUTTONS.get(request.state, ())
    if request.state is MassState.FINISHED and not progress.failed:
        chosen = ()
    return [_button(request.id, what, style) for what, style in chosen]


def _button(request_id: int, what: str, style: str | None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": f"mass_{what}",
        "text": {"type": "plain_text", "text": say(f"mass.button.{what}")},
        "value": json.dumps({"request": request_id}),
    }
    if style:
        button["style"] = style
    if what == "cancel":
        button["confirm"] = {
            "title": {"type": "plain_text", "text": say("mass.confirm.cancel_title")},
            "text": {"type": "mrkdwn", "text": say("mass.confirm.cancel_text")},
            "confirm": {"type": "plain_text", "text": say("mass.confirm.cancel_yes")},
            "deny": {"type": "plain_text", "text": say("mass.confirm.cancel_no")},
        }
    return button


def summary(request: MassRequest, progress: Progress) -> tuple[str, list[Block]]:
    """The summary in the approval post's thread: the outcome, failures by reason, and how
    many of the sent were delivered and read (the poller keeps these up to date)."""
    number = current().number
    lines = [
        say("mass.summary.head", id=request.id, round=request.round),
        counts(progress),
        say(
            "mass.summary.delivery",
            delivered=number(progress.delivered),
            read=number(progress.read),
            sent=number(progress.sent),
        ),
    ]
    for reason, count in progress.failures:
        lines.append(plural("mass.summary.failure", count, reason=failure_words(reason)))
    if progress.unknown:
        lines.append(say("mass.summary.unknown"))
    text = say("mass.summary.notification", id=request.id)
    return text, sections(lines)


def failure_words(reason: str) -> str:
    """A recipient's failure (a Hey Now error's name) in the reader's words."""
    key = f"mass.failure.{reason}"
    return say(key) if knows(key) else escape(reason)


def note(request: MassRequest, what: str, params: dict[str, Any]) -> str:
    """A direct message to a person about a request: it waits, it was decided, it ended."""
    by = params.get("by")
    return say(
        f"mass.note.{what}",
        id=request.id,
        by=f"<@{by}>" if by else "",
        error=failure_words(str(params.get("error") or "")),
        reason=shorten(request.reason or "", REASON_LIMIT),
    )


def report_csv_name(request: MassRequest, round_: int) -> str:
    return say("mass.report.file_name", id=request.id, round=round_)


def reject_form(request_id: int) -> dict[str, Any]:
    """Asks an approver why (the requester is told)."""
    return {
        "type": "modal",
        "callback_id": REJECT_FORM_ID,
        "private_metadata": json.dumps({"request": request_id}),
        "title": {"type": "plain_text", "text": say("mass.reject.title")},
        "submit": {"type": "plain_text", "text": say("mass.reject.submit")},
        "close": {"type": "plain_text", "text": say("mass.form.cancel")},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": say("mass.reject.label")},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": REASON_LIMIT,
                },
            }
        ],
    }


def test_form(request_id: int, channel: Channel) -> dict[str, Any]:
    """Asks where to send the first recipient's text."""
    hint = "mass.test.hint.whatsapp" if channel is Channel.WHATSAPP else "mass.test.hint.other"
    return {
        "type": "modal",
        "callback_id": TEST_FORM_ID,
        "private_metadata": json.dumps({"request": request_id}),
        "title": {"type": "plain_text", "text": say("mass.test.title")},
        "submit": {"type": "plain_text", "text": say("mass.test.submit")},
        "close": {"type": "plain_text", "text": say("mass.form.cancel")},
        "blocks": [
            {
                "type": "input",
                "block_id": "client",
                "label": {"type": "plain_text", "text": say("mass.test.label")},
                "hint": {"type": "plain_text", "text": say(hint)},
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 64},
            }
        ],
    }


def request_of(value: Any) -> int | None:
    """The request id a button or form carries, or None when the app never wrote it."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    request = data.get("request") if isinstance(data, dict) else None
    return request if isinstance(request, int) and not isinstance(request, bool) else None


def listing(requests: list[MassRequest], labels: Labels) -> list[Block]:
    """`/heynow mass list`: the newest requests the reader may follow."""
    if not requests:
        return [section(say("mass.list.empty"))]
    texts = current()
    lines = [
        plural(
            "mass.list.line",
            r.total,
            id=r.id,
            state=_state_word(r.state),
            platform=label_of(r, labels),
            requester=f"<@{r.requester}>",
            when=texts.when(r.created_at),
        )
        for r in requests
    ]
    return [section(say("mass.list.title")), *sections(lines), context(say("mass.list.hint"))]


def shown(
    request: MassRequest,
    progress: Progress,
    events: list[dict[str, Any]],
    rate: float,
    labels: Labels,
) -> list[Block]:
    """`/heynow mass show N`: the request as its post shows it, and its whole history."""
    _, post = approval_post(request, progress, [], rate, labels)
    post = [b for b in post if b["type"] != "actions"]  # the buttons stay on the post
    texts = current()
    lines = [
        say(
            f"mass.event.{event['kind']}",
            when=texts.when(event["at"]),
            who=f"<@{event['actor']}>" if event["actor"] != "app" else say("mass.event.app"),
            reason=_event_reason(event),
        )
        for event in events
    ]
    return [*post, section(say("mass.history.title")), *sections(lines)]


def _event_reason(event: dict[str, Any]) -> str:
    """A pause's reason is a code, in the reader's words; a rejection's, the approver's own."""
    reason = str(event["detail"].get("reason") or "")
    if event["kind"] == "paused" and reason:
        key = f"mass.pause_reason.{reason}"
        return say(key) if knows(key) else escape(reason)
    return shorten(reason, REASON_LIMIT)


def opt_out_answer(verb: str, changed: int, asked: int, invalid: list[str]) -> list[Block]:
    texts = current()
    lines = [
        say(
            f"mass.optout.{verb}",
            changed=texts.number(changed),
            unchanged=texts.number(asked - changed),
        )
    ]
    if invalid:
        lines.append(
            say("mass.optout.invalid", typed=", ".join(shorten(i, 40) for i in invalid[:5]))
        )
    return sections(lines)


def opt_out_list(client_ids: list[str]) -> list[Block]:
    if not client_ids:
        return [section(say("mass.optout.empty"))]
    head = plural("mass.optout.title", len(client_ids))
    return [section(head), *sections([f"`{shorten(c, 64)}`" for c in client_ids[:200]])]
