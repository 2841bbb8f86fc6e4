"""The Home tab in Block Kit: one person's Hey Now at a glance, with its two buttons.

Built like bot.slack.render: every text from the catalogues, everything a person typed or Hey
Now sent escaped and cut, and every part capped (the rest is counted, "and 3 more"), so the
view stays far under Slack's 100 blocks whatever the store holds. The mass sends' buttons are
their approval post's own (bot.slack.mass_blocks.buttons), answered by the same handlers.
"""

from __future__ import annotations

from typing import Any

from bot.domain import Health
from bot.domain.mass import MassRequest, Progress
from bot.domain.records import Message
from bot.heynow import PlatformRef
from bot.i18n import current, plural, say
from bot.services.home import HomeShows
from bot.slack import mass_blocks, render
from bot.slack.render import Block, context, escape, section, sections, shorten
from bot.slack.team_blocks import contact_actions, failure_of
from storage.team import HealthSeen, NewContact

HOME_BLOCKS_LIMIT = 100  # Slack's most for a Home tab
NEW_MESSAGE = "home_new_message"  # the action ids of the Home's own buttons
NEW_MASS_SEND = "home_new_mass_send"
TEMPLATE_LIMIT = 300  # a pending request's text, quoted
NAME_LIMIT = 80  # a client's name or id in a line
PREVIEW_LIMIT = 60  # a message's text, in its line
DETAIL_LIMIT = 300  # what Hey Now last answered, when it fails
HEALTH_EMOJI = {
    Health.UP: ":large_green_circle:",
    Health.DOWN: ":red_circle:",
    Health.REFUSED: ":no_entry:",
}


def home_view(
    shows: HomeShows,
    rate: float,
    labels: mass_blocks.Labels,
    *,
    simulated: bool = False,
    not_a_sender: str = "",
) -> dict[str, Any]:
    """The whole view for views.publish. `not_a_sender` is what someone who may not send is
    told instead of the buttons."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": say("app.name")}},
        *_buttons(shows, not_a_sender),
        *_health(shows.health),
        {"type": "divider"},
        *_messages(shows.messages),
    ]
    if shows.approver and (shows.mass_enabled or shows.pending.total):
        blocks += [{"type": "divider"}, *_pending(shows, labels)]
    if shows.mass_enabled or shows.runs.total:
        blocks += [{"type": "divider"}, *_runs(shows, rate, labels)]
    if shows.may_send:  # new clients' names and numbers are for those who may answer them
        blocks += [{"type": "divider"}, *_contacts(shows, labels)]
    if simulated:
        blocks.append(context(render.simulated_mark()))
    assert len(blocks) <= HOME_BLOCKS_LIMIT, len(blocks)  # every part is capped
    return {"type": "home", "blocks": blocks}


def _buttons(shows: HomeShows, not_a_sender: str) -> list[Block]:
    if not shows.may_send:
        return [context(not_a_sender)] if not_a_sender else []
    elements = [_button(NEW_MESSAGE, say("home.button.new_message"), "primary")]
    if shows.mass_enabled:
        elements.append(_button(NEW_MASS_SEND, say("home.button.new_mass_send")))
    return [{"type": "actions", "block_id": "home_buttons", "elements": elements}]


def _button(action_id: str, text: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
    }
    if style:
        button["style"] = style
    return button


def _health(seen: HealthSeen) -> list[Block]:
    """One line: Hey Now as the app last found it, and since when; what it said, if it failed."""
    if seen.health is Health.UP:
        return [context(f"{HEALTH_EMOJI[seen.health]} {say('home.health.up')}")]
    since = current().when(seen.since) if seen.since else ""
    lines = [f"{HEALTH_EMOJI[seen.health]} {say(f'home.health.{seen.health}', since=since)}"]
    if seen.detail:
        lines.append(say("home.health.detail", detail=failure_of(seen.detail[:DETAIL_LIMIT])))
    return [context("\n".join(lines))]


def _messages(messages: tuple[Message, ...]) -> list[Block]:
    if not messages:
        return [section(say("home.messages.title")), context(say("home.messages.empty"))]
    lines = [_message_line(m) for m in messages]
    return [*sections([say("home.messages.title"), *lines]), context(say("home.messages.hint"))]


def _message_line(message: Message) -> str:
    return say(
        "home.message.line",
        id=message.id,
        recipient=render.recipient(message, NAME_LIMIT),
        platform=render.platform_label(message),
        when=current().when(message.created_at),
        preview=shorten(message.text, PREVIEW_LIMIT),
        status=render.status_line(message),
    )


def _pending(shows: HomeShows, labels: mass_blocks.Labels) -> list[Block]:
    part = shows.pending
    title = section(say("home.pending.title", count=current().number(part.total)))
    if not part.total:
        return [title, context(say("home.pending.empty"))]
    blocks = [title]
    for request in part.shown:
        lines = [_request_line(request, labels), _quote(request.template)]
        if request.expires_at:
            lines.append(f"_{say('mass.expires', when=current().when(request.expires_at))}_")
        if not shows.may_approve(request):
            lines.append(f"_{say('home.pending.own')}_")
        blocks.append(section("\n".join(lines)))
        chosen = [
            b
            for b in mass_blocks.buttons(request, Progress(total=request.total))
            if b["action_id"] != "mass_approve" or shows.may_approve(request)
        ]
        blocks.append(_actions(f"home_pending_{request.id}", chosen))
    return [*blocks, *_more(part.more)]


def _runs(shows: HomeShows, rate: float, labels: mass_blocks.Labels) -> list[Block]:
    part = shows.runs
    title = section(say("home.runs.title", count=current().number(part.total)))
    if not part.total:
        return [title, context(say("home.runs.empty"))]
    blocks = [title]
    for request, progress in part.shown:
        line = mass_blocks.state_line(request, progress, rate)
        blocks.append(section(f"{_request_line(request, labels)}\n{line}"))
        chosen = mass_blocks.buttons(request, progress)
        if chosen:
            blocks.append(_actions(f"home_run_{request.id}", chosen))
    return [*blocks, *_more(part.more)]


def _request_line(request: MassRequest, labels: mass_blocks.Labels) -> str:
    return plural(
        "mass.list.line",
        request.total,
        id=request.id,
        state=say(f"mass.state.{request.state}"),
        platform=mass_blocks.label_of(request, labels),
        requester=f"<@{request.requester}>",
        when=current().when(request.created_at),
    )


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in shorten(text, TEMPLATE_LIMIT).splitlines() or [""])


def _actions(block_id: str, elements: list[Block]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": elements}


def _more(count: int) -> list[Block]:
    return [context(say("home.more", count=current().number(count)))] if count > 0 else []


def _contacts(shows: HomeShows, labels: mass_blocks.Labels) -> list[Block]:
    part = shows.contacts
    title = section(say("home.contacts.title", count=current().number(part.total)))
    if not part.total:
        return [title, context(say("home.contacts.empty"))]
    blocks = [title]
    for contact in part.shown:  # each with the buttons of its post
        blocks.append(section(_contact_line(contact, labels)))
        blocks.append(contact_actions(contact.id, block_id=f"home_contact_{contact.id}"))
    if part.more > 0:
        blocks.append(context(say("home.contacts.more", count=current().number(part.more))))
    return blocks


def _contact_line(contact: NewContact, labels: mass_blocks.Labels) -> str:
    return say(
        "home.contacts.line",
        name=shorten(contact.name or say("card.no_name"), NAME_LIMIT),
        client=shorten(contact.client_id, NAME_LIMIT),
        platform=_platform(contact.platform, labels),
        when=current().when(contact.seen_at),
    )


def _platform(stored: str, labels: mass_blocks.Labels) -> str:
    """A new contact's platform as people call it (HEYNOW_PLATFORMS' label), escaped."""
    if stored in labels:
        return escape(labels[stored])
    try:
        return escape(PlatformRef.parse(stored).label)
    except ValueError:
        return escape(stored)


__all__ = ["HOME_BLOCKS_LIMIT", "NEW_MASS_SEND", "NEW_MESSAGE", "home_view"]
