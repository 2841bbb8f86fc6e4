"""The grammar of `/heynow ...`: the text Slack sends, parsed into one typed command.

Pure functions: no Slack, no Hey Now. What a command's words *mean* (a valid number, a known
platform) is checked by bot.messaging; here only the shape of the sentence is.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.heynow.channels import Channel

SUBCOMMANDS = ("send", "status", "history", "contact", "agenda", "help")
_TOKEN = re.compile(r"\s*(\S+)")


class CommandError(ValueError):
    """The sentence does not fit the grammar; the message says the right form."""


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class OpenSendForm:
    pass


@dataclass(frozen=True)
class Send:
    platform: str | None
    client: str
    text: str
    validate: bool = True


@dataclass(frozen=True)
class Status:
    platform: str | None
    message_id: str


@dataclass(frozen=True)
class History:
    pass


@dataclass(frozen=True)
class ContactLookup:
    platform: str | None
    client: str


@dataclass(frozen=True)
class AgendaSearch:
    platform: str | None
    query: str


Lookup = Status | History | ContactLookup | AgendaSearch  # read-only, answered to the caller
Command = Help | OpenSendForm | Send | Lookup


def unescape_slack(text: str) -> str:
    """Slack sends `&`, `<`, `>` of command text as entities; Hey Now must get the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse(text: str) -> Command:
    text = unescape_slack(text or "")
    word, rest = _next(text)
    if word is None or word.lower() == "help":
        return Help()
    handler = _PARSERS.get(word.lower())
    if handler is None:
        close = difflib.get_close_matches(word.lower(), SUBCOMMANDS, n=1)
        hint = f" Did you mean `/heynow {close[0]}`?" if close else ""
        raise CommandError(f"`{word}` is not a /heynow command.{hint} `/heynow help` lists them.")
    return handler(rest)


def _next(text: str) -> tuple[str | None, str]:
    """The next word, and the rest of the text exactly as typed (newlines kept)."""
    match = _TOKEN.match(text)
    if not match:
        return None, ""
    return match.group(1), text[match.end() :]


def looks_like_platform(word: str) -> bool:
    channel, sep, platform_id = word.partition(":")
    if not sep or not platform_id:
        return False
    try:
        Channel.parse(channel)
    except ValueError:
        return False
    return True


def _parse_send(rest: str) -> Command:
    validate, platform = True, None
    word, after = _next(rest)
    if word is None:
        return OpenSendForm()
    while word is not None and (
        word.startswith("--") or (platform is None and looks_like_platform(word))
    ):
        if word == "--no-validate":
            validate = False
        elif word.startswith("--"):
            raise CommandError(
                f"`{word}` is not an option of send: the only one is `--no-validate`."
            )
        else:
            platform = word
        word, after = _next(after)
    if word is None:
        raise CommandError(
            "Say who to send to and what: `/heynow send [CHANNEL:PLATFORM] CLIENT TEXT`."
        )
    text = after.strip()
    if not text:
        raise CommandError(f"The message to {word} is empty: `/heynow send {word} Hello!`")
    return Send(platform=platform, client=word, text=text, validate=validate)


def _optional_platform(rest: str) -> tuple[str | None, str]:
    word, after = _next(rest)
    if word is not None and looks_like_platform(word):
        return word, after
    return None, rest


def _parse_status(rest: str) -> Command:
    platform, rest = _optional_platform(rest)
    words = rest.split()
    if not words and platform is None:
        return History()
    if len(words) != 1:
        raise CommandError(
            "Use `/heynow status ID`, `/heynow status CHANNEL:PLATFORM ID`, or `/heynow status`."
        )
    return Status(platform=platform, message_id=words[0])


def _parse_history(rest: str) -> Command:
    if rest.strip():
        raise CommandError("`/heynow history` takes nothing after it.")
    return History()


def _parse_contact(rest: str) -> Command:
    platform, rest = _optional_platform(rest)
    words = rest.split()
    if len(words) != 1:
        raise CommandError(
            "Use `/heynow contact [CHANNEL:PLATFORM] CLIENT`, e.g. `/heynow contact 091000001`."
        )
    return ContactLookup(platform=platform, client=words[0])


def _parse_agenda(rest: str) -> Command:
    platform, rest = _optional_platform(rest)
    return AgendaSearch(platform=platform, query=" ".join(rest.split()))


_PARSERS = {
    "send": _parse_send,
    "status": _parse_status,
    "history": _parse_history,
    "contact": _parse_contact,
    "agenda": _parse_agenda,
}
