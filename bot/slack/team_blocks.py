"""What the team reads in HEYNOW_NOTIFY_CHANNEL: new contacts with their buttons, and problems,
each with what to do. Drawn when the post goes out, from the store as it is then."""

from __future__ import annotations

import json
from typing import Any

from bot.domain import SendState, TeamNotice
from bot.domain.mass import MassRequest
from bot.domain.records import Message
from bot.heynow.channels import PlatformRef
from bot.i18n import current, plural, say
from bot.slack.explain import explain, revive
from bot.slack.mass_blocks import failure_words
from bot.slack.render import (
    Block,
    context,
    escape,
    follow_up_button,
    platform_label,
    recipient,
    section,
    shorten,
    status_line,
)
from storage.team import NewContact

TAKE_ACTION = "team_take"
SEND_ACTION = "team_send"
NAME_LIMIT = 80

Drawn = tuple[str, list[Block]]


def contact_value(contact_id: int) -> str:
    return json.dumps({"contact": contact_id})


def contact_of(value: Any) -> int | None:
    """The contact id a button of ours carries, or None for a value the app never wrote."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    number = data.get("contact") if isinstance(data, dict) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def contact_actions(contact_id: int, block_id: str = "team_contact") -> Block:
    """Send a message and I'll take it, for a contact nobody has taken (its post, the Home)."""
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [
            _button(SEND_ACTION, "team.send_button", contact_id, style="primary"),
            _button(TAKE_ACTION, "team.take_button", contact_id),
        ],
    }


def platform_name(platform: str, labels: dict[str, str]) -> str:
    if platform in labels:
        return escape(labels[platform])
    try:
        return escape(PlatformRef.parse(platform).label)
    except ValueError:
        return escape(platform)


def new_contact(contact: NewContact, labels: dict[str, str]) -> Drawn:
    """A client who wrote for the first time; Send a message, and I'll take it until someone
    does (then the post says who)."""
    who = _who(contact)
    where = platform_name(contact.platform, labels)
    head = say("team.new_contact", who=who, platform=where)
    seen = say("team.new_contact_seen", at=current().when(contact.seen_at))
    buttons: list[Block] = [_button(SEND_ACTION, "team.send_button", contact.id, style="primary")]
    if contact.taken_by:
        taken = say(
            "team.taken_by",
            user=f"<@{contact.taken_by}>",
            at=current().when(contact.taken_at or contact.seen_at),
        )
        status = f":raising_hand: {taken}"
    else:
        buttons.append(_button(TAKE_ACTION, "team.take_button", contact.id))
        status = f":bell: {say('team.nobody_yet')}"
    blocks = [section(f":wave: {head}"), context(f"{seen} · {status}")]
    blocks.append({"type": "actions", "block_id": "team_contact", "elements": buttons})
    return say("team.new_contact_plain", who=_plain_who(contact), platform=where), blocks


def more_contacts(count: int, platform: str, labels: dict[str, str]) -> Drawn:
    text = plural("team.more_contacts", count, platform=platform_name(platform, labels))
    return text, [section(f":busts_in_silhouette: {text}")]


def send_problem(
    notice: TeamNotice, message: Message, stuck_minutes: float, failure: dict[str, Any]
) -> Drawn:
    """A send refused, lost, or stuck: who sent what to whom, what happened, what to do."""
    about = say(
        "team.about_send",
        recipient=recipient(message, NAME_LIMIT),
        platform=platform_label(message),
        sender=f"<@{message.slack_user}>",
        at=current().when(message.sent_at or message.created_at),
    )
    if notice is TeamNotice.REJECTED:
        said = _refusal(message, failure)
        text = say("team.rejected", about=about, reason=said)
        emoji = ":x:"
    elif notice is TeamNotice.UNKNOWN:
        text = say("team.unknown", about=about, ref=f"#{message.id}")
        emoji = ":grey_question:"
    else:
        minutes = current().number(round(stuck_minutes))
        text = say("team.stuck", about=about, minutes=minutes, status=status_line(message))
        emoji = ":hourglass_flowing_sand:"
    block = section(f"{emoji} {text}")
    if message.send_state is SendState.SENT or notice is not TeamNotice.UNKNOWN:
        block["accessory"] = follow_up_button(message.id)
    plain = say("team.problem_plain", ref=f"#{message.id}")
    return plain, [block, context(say(f"team.todo.{notice.value}"))]


def mass_paused(request: MassRequest, detail: str) -> Drawn:
    where = f"<#{request.approval_channel}>" if request.approval_channel else ""
    last = failure_words(_last_error(detail))
    text = say("team.mass_paused", id=request.id, where=where, error=last)
    return say("team.mass_paused_plain", id=request.id), [
        section(f":double_vertical_bar: {text}"),
        context(say("team.todo.mass_paused")),
    ]


def more_problems(count: int) -> Drawn:
    text = plural("team.more_problems", count)
    return text, [section(f":warning: {text}"), context(say("team.todo.more_problems"))]


def health_news(
    notice: TeamNotice, since: float | None, at: float, detail: str, folded: int
) -> Drawn:
    """Hey Now's outage and its end, or its refusal of the credentials and its end."""
    when = current().when(at)
    if notice is TeamNotice.OUTAGE:
        text, emoji = say("team.outage", at=when, detail=failure_of(detail)), ":rotating_light:"
    elif notice is TeamNotice.RECOVERED:
        minutes = current().number(max(1, round((at - (since or at)) / 60)))
        text = say("team.recovered", since=current().when(since or at), at=when, minutes=minutes)
        if folded:
            text += " " + plural("team.folded", folded)
        emoji = ":white_check_mark:"
    elif notice is TeamNotice.LOGIN_REFUSED:
        text, emoji = say("team.login_refused", at=when), ":no_entry:"
    else:
        text, emoji = say("team.login_ok", at=when), ":white_check_mark:"
    return text, [section(f"{emoji} {text}"), context(say(f"team.todo.{notice.value}"))]


def _who(contact: NewContact) -> str:
    client = escape(contact.client_id)
    if not contact.name:
        return f"*{client}*"
    return f"*{shorten(contact.name, NAME_LIMIT)}* ({client})"


def _plain_who(contact: NewContact) -> str:
    return shorten(contact.name or contact.client_id, NAME_LIMIT)


def _button(action: str, key: str, contact_id: int, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action,
        "text": {"type": "plain_text", "text": say(key)},
        "value": contact_value(contact_id),
    }
    if style:
        button["style"] = style
    return button


def _refusal(message: Message, failure: dict[str, Any]) -> str:
    """Hey Now's refusal in the words the sender was told (`failure`: what their note kept)."""
    error = revive(failure.get("error"), failure.get("status_code"), failure.get("words"))
    return explain(
        error,
        action="send",
        ref=PlatformRef.parse(f"{message.channel_id}:{message.platform_id}"),
        subject=message.client_id,
        validated=bool(message.validate),
    )


def _last_error(detail: str) -> str:
    try:
        data = json.loads(detail) if detail else {}
    except ValueError:
        return detail
    return str(data.get("last_error") or "") if isinstance(data, dict) else ""


def failure_of(detail: str) -> str:
    """How Hey Now failed, in words (bot.heynow.client names it: timeout, unreachable,
    http:503, garbage); anything else (a version before the words) is shown escaped."""
    kind, _, code = detail.partition(":")
    if kind in ("timeout", "unreachable", "garbage"):
        return say(f"team.failure.{kind}")
    if kind == "http" and code.isdigit():
        return say("team.failure.http", code=code)
    return escape(detail)
