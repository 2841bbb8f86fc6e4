"""What the app shows in Slack: texts and Block Kit payloads, built in one place.

Everything that came from a person or from Hey Now goes through `escape` first, so a contact
named `<!channel>` pings nobody (Slack: `&`, `<`, `>` must be sent as entities).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.domain import Outcome, Reply, SendState, Status
from bot.domain.records import Message
from bot.heynow import Contact, PlatformRef
from bot.heynow.channels import platform_of
from bot.services.lookups import AgendaPage, StatusAnswer

Block = dict[str, Any]

STATUS_WORDS = {
    Status.UNKNOWN: (":hourglass_flowing_sand:", "Sent to Hey Now, status not known yet"),
    Status.ONE_TICK: (":heavy_check_mark:", "Sent (one tick: on the platform's server)"),
    Status.DELIVERED: (
        ":heavy_check_mark::heavy_check_mark:",
        "Delivered (two ticks: on the client's phone)",
    ),
    Status.READ: (":ballot_box_with_check::ballot_box_with_check:", "Read (blue ticks)"),
}
SEND_STATE_WORDS = {
    SendState.QUEUED: (":outbox_tray:", "Sending…"),
    SendState.SENDING: (":outbox_tray:", "Sending…"),
    SendState.REJECTED: (":x:", "Not sent"),
    SendState.UNKNOWN: (":grey_question:", "Unknown: Hey Now did not confirm the send"),
    SendState.EXPIRED: (":x:", "Not sent: the app stopped before it could send it"),
}
OUTCOME_WORDS = {
    Outcome.STUCK: " · no longer checked",
    Outcome.LOST: " · Hey Now no longer knows it, so it is not followed any more",
    Outcome.UNTRACKED: " · Hey Now gave no message id, so it cannot be tracked",
}


def escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, 3000)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, 3000)}]}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_line(message: Message) -> str:
    """The message's state in plain words with its tick emoji."""
    return f"{status_emoji(message)} {_status_words(message)}" + OUTCOME_WORDS.get(
        message.outcome or Outcome.READ, ""
    )


def status_emoji(message: Message) -> str:
    if message.send_state is not SendState.SENT:
        return SEND_STATE_WORDS[message.send_state][0]
    return STATUS_WORDS[message.status][0]


def _status_words(message: Message) -> str:
    if message.send_state is not SendState.SENT:
        return SEND_STATE_WORDS[message.send_state][1]
    return STATUS_WORDS[message.status][1]


def recipient(message: Message) -> str:
    client = escape(message.client_id)
    return f"*{escape(message.client_name)}* ({client})" if message.client_name else f"*{client}*"


def platform_label(message: Message) -> str:
    return escape(platform_of(message).label)


def reference(message: Message) -> str:
    hey = f" · idMessageHey `{escape(message.id_message_hey)}`" if message.id_message_hey else ""
    return f"#{message.id}{hey}"


def tracking_message(message: Message) -> tuple[str, list[Block]]:
    """The visible channel post of a send; its status line is updated as the status moves."""
    head = f"<@{message.slack_user}> sent a message to {recipient(message)} through {platform_label(message)}"
    if not message.validate:  # before the text, which a long message may have cut
        head += (
            "\n:information_source: Sent without the agenda check: the client may receive it "
            "from the platform's alternate bot number rather than from this one."
        )
    quoted = "\n".join("> " + line for line in escape(message.text).splitlines() or [""])
    blocks = [
        section(f"{head}\n{quoted}"),
        context(f"{status_line(message)} · {reference(message)}"),
    ]
    return (
        f"Message to {escape(message.client_name or message.client_id)}: {status_line(message)}",
        blocks,
    )


def thread_update(kind: Reply, message: Message) -> str:
    """The thread reply owed for a reply kind."""
    who = escape(message.client_name or message.client_id)
    if kind is Reply.DELIVERED:
        return f":heavy_check_mark::heavy_check_mark: Delivered to {who} {_when(message.ru_at)}."
    if kind is Reply.READ:
        return (
            f":ballot_box_with_check::ballot_box_with_check: Read by {who} {_when(message.lu_at)}."
        )
    if kind is Reply.STUCK:
        return (
            f":warning: Not delivered to {who} yet: still *{STATUS_WORDS[message.status][1].lower()}*. "
            "Their phone may be off or the app not installed; I keep checking for a while."
        )
    if kind is Reply.LOST:
        return (
            f":grey_question: Hey Now no longer knows this message, so I stopped following it. "
            f"Ask {who} whether it arrived before sending it again."
        )
    if message.ru_at:
        return f":information_source: Delivered to {who}, who has not shown it as read. I stopped checking."
    return (
        f":x: Still not delivered to {who}, so I stopped checking. "
        "Reach them another way, or send again later."
    )


def _when(at: float | None) -> str:
    if at is None:
        return ""
    return slack_date(at, "at {time} on {date_short}")


def slack_date(at: float, template: str) -> str:
    """A date each reader sees in their own time zone; the fallback is UTC."""
    fallback = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at)}^{template}|{fallback}>"


def history(messages: list[Message]) -> list[Block]:
    if not messages:
        return [section("You have not sent any message yet. Try `/heynow send 091000001 Hello!`")]
    lines = [
        f"`#{m.id}` {status_emoji(m)}"
        f" to {recipient(m)} via {platform_label(m)} {slack_date(m.created_at, '{date_short} {time}')}"
        f": {escape(_cut(m.text, 60))}"
        for m in messages
    ]
    return [
        section("*Your last messages*"),
        section("\n".join(lines)),
        context("`/heynow status ID` for one of them."),
    ]


def status_report(answer: StatusAnswer) -> list[Block]:
    message = answer.message
    if message is not None:
        text = f"{recipient(message)} through {platform_label(message)}: {status_line(message)}"
        return [section(text), context(reference(message))]
    emoji, words = STATUS_WORDS[answer.status]
    where = escape(answer.ref.label)
    return [section(f"Message `{escape(answer.message_id)}` on {where}: {emoji} {words}")]


def contact_card(contact: Contact, ref: PlatformRef) -> list[Block]:
    name = escape(contact.name or "(no name)")
    details = [f"*Client id:* `{escape(contact.client_id)}`", f"*Platform:* {escape(ref.label)}"]
    labels = (
        ("phones", "Phones"),
        ("locale", "Locale"),
        ("timezone", "Time zone"),
        ("gender", "Gender"),
    )
    for attr, label in labels:
        value = getattr(contact, attr)
        if value:
            details.append(
                f"*{label}:* {escape(', '.join(value) if isinstance(value, tuple) else value)}"
            )
    block = section(f":bust_in_silhouette: *{name}*\n" + "\n".join(details))
    if contact.profile_pic and contact.profile_pic.startswith("https://"):
        block["accessory"] = {"type": "image", "image_url": contact.profile_pic, "alt_text": name}
    send_hint = f"`/heynow send {ref} {escape(contact.client_id)} …`"
    return [
        block,
        context(f"In the agenda: they wrote to this platform before. Send with {send_hint}"),
    ]


def agenda_page(found: AgendaPage) -> list[Block]:
    about = f" matching “{escape(found.query)}”" if found.query else ""
    where = escape(found.ref.label)
    if found.total == 0:
        return [section(f"No contact{about} in the agenda of {where}.")]
    lines = [f"• *{escape(c.name or '(no name)')}* `{escape(c.client_id)}`" for c in found.contacts]
    plural = "s" if found.total != 1 else ""
    blocks = [
        section(f"*Agenda of {where}*{about}: {found.total} contact{plural}"),
        section("\n".join(lines)),
        context(
            f"Page {found.page} of {found.pages} · `/heynow contact {found.ref} ID` for a card"
        ),
    ]
    state = {"ref": str(found.ref), "query": found.query[:500]}
    buttons = []
    if found.page > 1:
        buttons.append(_page_button("← Previous", found.page - 1, state))
    if found.page < found.pages:
        buttons.append(_page_button("Next →", found.page + 1, state))
    if buttons:
        blocks.append({"type": "actions", "block_id": "agenda_pages", "elements": buttons})
    return blocks


def _page_button(label: str, page: int, state: dict[str, str]) -> Block:
    value = json.dumps({**state, "page": page})  # Slack allows 2000 characters; query is cut to 500
    return {
        "type": "button",
        "action_id": f"agenda_page_{'prev' if label.startswith('←') else 'next'}",
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }


def error(text: str) -> list[Block]:
    return [section(f":warning: {text}")]


def plain(body: list[Block]) -> str:
    """The notification text of a blocks answer: its first section."""
    for block in body:
        if block.get("type") == "section":
            return str(block["text"]["text"])[:300]
    return "Hey Now"


SIMULATED = (
    ":test_tube: *Simulated*: this workspace uses the app's built-in Hey Now simulator "
    "(HEYNOW_SIMULATOR), so no customer receives anything."
)


def simulated(fields: dict[str, Any]) -> dict[str, Any]:
    """A post's fields, marked as coming from the simulator: a last line under what it shows."""
    marked = dict(fields)
    if fields.get("blocks"):
        marked["blocks"] = [*fields["blocks"], context(SIMULATED)]
    else:  # a text-only post (a thread reply): its text, already escaped, then the mark
        marked["blocks"] = [section(str(fields.get("text", ""))), context(SIMULATED)]
    return marked
