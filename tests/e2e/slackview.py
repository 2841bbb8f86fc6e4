"""What a person in a channel would see, read off the recording Slack stand-in."""

from __future__ import annotations

from typing import Any

from bot.local.console import as_text
from bot.local.standin import SlackStandIn
from tests.e2e.harness import wait_for


def channel_posts(slack: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    return [
        c.body
        for c in slack.of("chat.postMessage")
        if c.body.get("channel") == channel and not c.body.get("thread_ts")
    ]


def thread_replies(slack: SlackStandIn, channel: str) -> list[str]:
    return [
        c.body["text"]
        for c in slack.of("chat.postMessage")
        if c.body.get("channel") == channel and c.body.get("thread_ts")
    ]


def replies_to(slack: SlackStandIn, trigger: str) -> list[str]:
    """Everything posted to the command's response_url, as text."""
    return [as_text(c.body) for c in slack.of("response_url") if c.ref == trigger]


def answer(slack: SlackStandIn, person: Any, text: str) -> str:
    """Type a command and return the first thing it answers through response_url."""
    _, trigger = person.slash(text)
    return wait_for(lambda: replies_to(slack, trigger))[0]


def updates_in(slack: SlackStandIn, channel: str) -> list[str]:
    return [as_text(c.body) for c in slack.of("chat.update") if c.body.get("channel") == channel]


def ack_text(response: Any) -> str:
    """The immediate answer to a slash command (Bolt sends JSON, or plain text for text alone)."""
    if not response.content:
        return ""
    if response.headers.get("content-type", "").startswith("application/json"):
        return as_text(response.json())
    return response.text
