"""The grammar of `/heynow ...`: the text Slack sends, parsed into one typed command.

Pure functions: no Slack, no Hey Now. What a command's words *mean* (a valid number, a known
platform) is checked by bot.services.inputs; here only the shape of the sentence is.

One decision needs meaning: where a send's client ends and its text begins. A WhatsApp number
is often typed in groups (`091 000 002`, `+598 91 000 002`), and whether three words are one
number depends on the platform's channel, which is the default platform's when none is typed.
So `parse` finds the words (after the options and the platform) that may name the client and
asks `client_words` how many of them do; the listener passes `Inputs.client_words`, which
knows the channel and the region. Everything after those words is the text, exactly as typed.
Without `client_words` the client is one word.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.domain.history import DEFAULT_DAYS, MAX_DAYS
from bot.heynow.channels import Channel
from bot.i18n import say
from bot.mrkdwn import escape

# The words of each sub-command and option, English then Spanish (as typed, in lower case).
SUBCOMMANDS = {
    "send": "send",
    "enviar": "send",
    "status": "status",
    "estado": "status",
    "history": "history",
    "historial": "history",
    "contact": "contact",
    "contacto": "contact",
    "agenda": "agenda",
    "help": "help",
    "ayuda": "help",
    "mass": "mass",
    "masivo": "mass",
    "optout": "optout",
    "baja": "optout",
}
# `/heynow mass ...` and `/heynow optout ...`: their own verbs, English then Spanish.
MASS_VERBS = {"list": "list", "lista": "list", "show": "show", "ver": "show"}
OPTOUT_VERBS = {
    "add": "add",
    "agregar": "add",
    "remove": "remove",
    "quitar": "remove",
    "list": "list",
    "lista": "list",
}
OPTIONS = {"--no-validate": "no-validate", "--sin-validar": "no-validate"}
HISTORY_OPTIONS = {"--days": "days", "--dias": "days", "--días": "days", "--csv": "csv"}
# A Slack mention as the command's text carries it (`<@U123|ana>`, `<@U123>`), or a member id
# typed as such: with the command's should_escape off, a name picked as `@ana` may come as text.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$")
_MEMBER_ID = re.compile(r"^@?([UW][A-Z0-9]{8,})$")
_TOKEN = re.compile(r"\s*(\S+)")

ClientWords = Callable[[str | None, Sequence[str]], int]
"""(the platform as typed or None, the words that may name the client) -> how many do (>= 1)."""


def one_word(platform: str | None, words: Sequence[str]) -> int:
    return 1


class CommandError(ValueError):
    """The sentence does not fit the grammar; the message says the right form, in the
    language being spoken, with what was typed escaped."""


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
    """Messages of the last `days` days, by `user` (a Slack id) and to `client` (as typed),
    shown in Slack or (`csv`) sent as a file."""

    user: str | None = None
    client: str | None = None
    days: int = DEFAULT_DAYS
    csv: bool = False


@dataclass(frozen=True)
class ContactLookup:
    platform: str | None
    client: str


@dataclass(frozen=True)
class AgendaSearch:
    platform: str | None
    query: str


@dataclass(frozen=True)
class OpenMassForm:
    pass


@dataclass(frozen=True)
class MassList:
    pass


@dataclass(frozen=True)
class MassShow:
    request_id: int


@dataclass(frozen=True)
class OptOut:
    """`add` or `remove` the numbers of `clients` (as typed, any separators), or `list`."""

    verb: str
    platform: str | None
    clients: str


Lookup = Status | ContactLookup | AgendaSearch  # read-only, answered to the caller
Mass = OpenMassForm | MassList | MassShow | OptOut
Command = Help | OpenSendForm | Send | Lookup | History | Mass


def unescape_slack(text: str) -> str:
    """Slack sends `&`, `<`, `>` of command text as entities; Hey Now must get the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse(text: str, client_words: ClientWords = one_word) -> Command:
    """The command `text` says; `client_words` decides how many words a send's client spans."""
    text = unescape_slack(text or "")
    word, rest = _next(text)
    name = "help" if word is None else SUBCOMMANDS.get(word.lower())
    if name is None:
        hint = _did_you_mean(word or "", SUBCOMMANDS, "`/heynow {}`")
        raise CommandError(
            _sentences(
                say("command.unknown", word=escape(word)), hint, say("command.help_lists_them")
            )
        )
    if name == "help":
        return Help()
    if name == "send":
        return _parse_send(rest, client_words)
    return _PARSERS[name](rest)


def _did_you_mean(word: str, words: Iterable[str], form: str) -> str:
    """`Did you mean ...?` with the closest of `words` in either language (a Spanish reader
    who typed `sned` meant `send`), or nothing."""
    close = difflib.get_close_matches(word.lower(), list(words), n=1)
    return say("command.did_you_mean", suggestion=form.format(close[0])) if close else ""


def _sentences(*parts: str) -> str:
    return " ".join(part for part in parts if part)


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


def _parse_send(rest: str, client_words: ClientWords) -> Command:
    """`[CHANNEL:PLATFORM] CLIENT TEXT`, with options anywhere before TEXT: before, between or
    after the platform and the client. CLIENT is as many words as `client_words` says; TEXT
    starts at the first word after it that is no option, and is kept exactly as typed."""
    words = [(m.group(1), m.end()) for m in _TOKEN.finditer(rest)]  # each with where it ends
    if not words:
        return OpenSendForm()
    options: set[str] = set()
    platform: str | None = None
    at = 0
    while at < len(words):
        word = words[at][0]
        if _is_option(word):
            options.add(_option(word))
        elif platform is None and looks_like_platform(word):
            platform = word
        else:
            break
        at += 1
    if at == len(words):
        raise CommandError(say("command.send_needs_client"))
    end = at
    while end < len(words) and not _is_option(words[end][0]):
        end += 1
    run = words[at:end]  # the words that may name the client: up to the next option
    count = min(max(client_words(platform, [w for w, _ in run]), 1), len(run))
    client = " ".join(w for w, _ in run[:count])
    after = at + count  # options may follow the client (if it is the whole run)
    while after < len(words) and _is_option(words[after][0]):
        options.add(_option(words[after][0]))
        after += 1
    text = rest[words[after - 1][1] :].strip()
    if not text:
        raise CommandError(say("command.send_empty_text", client=escape(client)))
    return Send(platform=platform, client=client, text=text, validate="no-validate" not in options)


def _is_option(word: str) -> bool:
    return word.startswith("--")


def _option(word: str) -> str:
    """The option `word` names; an unknown one is refused, naming the options."""
    name = OPTIONS.get(word.lower())
    if name is None:
        hint = _did_you_mean(word, OPTIONS, "`{}`")
        raise CommandError(
            _sentences(
                say("command.unknown_option", word=escape(word)), hint, say("command.only_option")
            )
        )
    return name


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
        raise CommandError(say("command.status_usage"))
    return Status(platform=platform, message_id=words[0])


def _parse_history(rest: str) -> Command:
    """`[@user] [CLIENT] [--days N] [--csv]`, the options anywhere; CLIENT is every other
    word (`091 000 001` is one client)."""
    words = rest.split()
    users: list[str] = []
    client: list[str] = []
    days, csv = DEFAULT_DAYS, False
    at = 0
    while at < len(words):
        word = words[at]
        option, _, value = word.partition("=")
        if word.startswith("--"):
            name = _history_option(option)
            if name == "csv":
                csv = True
            else:
                if not value:
                    at += 1
                    value = words[at] if at < len(words) else ""
                days = _days(option, value)
        elif (user := _user(word)) is not None:
            users.append(user)
        elif word.startswith("@"):
            raise CommandError(say("command.history_not_a_member", word=escape(word)))
        else:
            client.append(word)
        at += 1
    if len(set(users)) > 1:
        raise CommandError(say("command.history_one_person"))
    return History(
        user=users[0] if users else None,
        client=" ".join(client) or None,
        days=days,
        csv=csv,
    )


def _user(word: str) -> str | None:
    match = _MENTION.match(word) or _MEMBER_ID.match(word)
    return match.group(1) if match else None


def _history_option(word: str) -> str:
    name = HISTORY_OPTIONS.get(word.lower())
    if name is None:
        hint = _did_you_mean(word, (o for o in HISTORY_OPTIONS if o.isascii()), "`{}`")
        raise CommandError(
            _sentences(say("command.history_unknown_option", word=escape(word), max=MAX_DAYS), hint)
        )
    return name


def _days(option: str, value: str) -> int:
    """The number of days, 1 to MAX_DAYS; otherwise the right form, with the option as typed."""
    if value.isascii() and value.isdigit() and len(value) <= 3 and 1 <= int(value) <= MAX_DAYS:
        return int(value)
    raise CommandError(say("command.history_days", option=escape(option.lower()), max=MAX_DAYS))


def _parse_contact(rest: str) -> Command:
    platform, rest = _optional_platform(rest)
    words = rest.split()
    if not words:
        raise CommandError(say("command.contact_usage"))
    return ContactLookup(platform=platform, client=" ".join(words))  # `091 000 001` is one


def _parse_agenda(rest: str) -> Command:
    platform, rest = _optional_platform(rest)
    return AgendaSearch(platform=platform, query=" ".join(rest.split()))


def _parse_mass(rest: str) -> Command:
    word, after = _next(rest)
    if word is None:
        return OpenMassForm()
    verb = MASS_VERBS.get(word.lower())
    if verb == "list" and not after.strip():
        return MassList()
    number = after.strip().lstrip("#")
    if verb == "show" and number.isascii() and number.isdigit() and len(number) < 12:
        return MassShow(int(number))
    hint = "" if verb else _did_you_mean(word, MASS_VERBS, "`/heynow mass {}`")
    raise CommandError(_sentences(hint, say("command.mass_usage")))


def _parse_optout(rest: str) -> Command:
    word, after = _next(rest)
    verb = OPTOUT_VERBS.get((word or "").lower())
    if verb is None:
        hint = _did_you_mean(word or "", OPTOUT_VERBS, "`/heynow optout {}`")
        raise CommandError(_sentences(hint, say("command.optout_usage")))
    platform, clients = _optional_platform(after)
    if verb == "list":
        return OptOut("list", platform, "")
    if not clients.strip():
        raise CommandError(say("command.optout_usage"))
    return OptOut(verb, platform, clients.strip())


_PARSERS = {  # send, which needs client_words, is parsed apart
    "status": _parse_status,
    "history": _parse_history,
    "contact": _parse_contact,
    "agenda": _parse_agenda,
    "mass": _parse_mass,
    "optout": _parse_optout,
}
