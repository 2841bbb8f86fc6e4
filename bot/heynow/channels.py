"""Hey Now's channels, the platforms we send from, and how a typed client id becomes a wire id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import phonenumbers

from bot.i18n import say
from bot.mrkdwn import escape


class Channel(IntEnum):
    """The `channelId` path parameter (vendor document, sections 6 and 7)."""

    WHATSAPP = 1
    MESSENGER = 2
    TWITTER = 3
    WEBCHAT = 4

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def text_limit(self) -> int:
        """The longest text the channel's own network accepts in one message."""
        return _TEXT_LIMITS[self]

    @property
    def sends_single_messages(self) -> bool:
        """The vendor document allows only 1-3 for `message`; WebChat appears in `masiveMessage` only."""
        return self is not Channel.WEBCHAT

    @classmethod
    def parse(cls, word: str) -> Channel:
        """Accept `1`..`4` or a channel name (`whatsapp`, `wa`, `facebook`, ...).

        Only ASCII digits are channel numbers: `str.isdigit()` is also True for `²` (which
        `int()` refuses) and for other scripts' digits, and those are refused like any word.
        """
        key = word.strip().lower()
        if key.isascii() and key.isdigit() and int(key) in cls._value2member_map_:
            return cls(int(key))
        if key in _ALIASES:
            return _ALIASES[key]
        raise ValueError(say("channels.not_a_channel", word=escape(word)))


_LABELS = {
    Channel.WHATSAPP: "WhatsApp",
    Channel.MESSENGER: "Messenger",
    Channel.TWITTER: "Twitter",
    Channel.WEBCHAT: "WebChat",
}
# WhatsApp Business text bodies: 4096; Messenger text: 2000; Twitter/X DMs: 10000.
_TEXT_LIMITS = {
    Channel.WHATSAPP: 4096,
    Channel.MESSENGER: 2000,
    Channel.TWITTER: 10000,
    Channel.WEBCHAT: 4096,
}
_ALIASES = {
    "whatsapp": Channel.WHATSAPP,
    "wa": Channel.WHATSAPP,
    "messenger": Channel.MESSENGER,
    "facebook": Channel.MESSENGER,
    "fb": Channel.MESSENGER,
    "twitter": Channel.TWITTER,
    "x": Channel.TWITTER,
    "webchat": Channel.WEBCHAT,
    "web": Channel.WEBCHAT,
}
_PLAIN_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class PlatformRef:
    """One of our sending platforms: the channel plus our own id on it (`1:59899000001`)."""

    channel: Channel
    platform_id: str

    @classmethod
    def parse(cls, text: str) -> PlatformRef:
        channel_word, sep, platform_id = text.strip().partition(":")
        if not sep or not platform_id:
            raise ValueError(say("channels.not_a_platform_ref", text=escape(text)))
        channel = Channel.parse(channel_word)
        if not _PLAIN_ID.match(platform_id):
            raise ValueError(say("channels.not_a_platform_id", platform_id=escape(platform_id)))
        return cls(channel, platform_id)

    def __str__(self) -> str:
        return f"{self.channel.value}:{self.platform_id}"

    @property
    def label(self) -> str:
        return f"{self.channel.label} {self.platform_id}"


class SentFromPlatform(Protocol):
    """Anything that remembers the platform it went out through (a stored message)."""

    @property
    def channel_id(self) -> int: ...

    @property
    def platform_id(self) -> str: ...


def platform_of(sent: SentFromPlatform) -> PlatformRef:
    return PlatformRef(Channel(sent.channel_id), sent.platform_id)


def normalise_client_id(channel: Channel, typed: str, region: str) -> str:
    """Turn what a person typed into the clientId Hey Now expects.

    WhatsApp ids are phone numbers in international form without `+` (`59891000001`); people
    type them in every local form, so phonenumbers parses them against the default region.
    Other channels' ids are opaque, so only characters unsafe in a URL path are refused.
    """
    typed = typed.strip()
    if channel is Channel.WHATSAPP:
        return _normalise_phone(typed, region)
    if not _PLAIN_ID.match(typed):
        raise ValueError(
            say("channels.not_a_client_id", typed=escape(typed), channel=channel.label)
        )
    return typed


def phone_number(typed: str, region: str) -> str | None:
    """`typed` as a WhatsApp id (`59891000001`) if phonenumbers finds it a valid number, else
    None. Local numbers are read in `region`; spaces, dots, dashes and brackets are allowed."""
    typed = typed.strip()
    candidates = [typed]
    digits = re.sub(r"[\s().\-]", "", typed)
    if digits.isdigit():
        candidates.append("+" + digits)  # international form typed without the `+`
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return e164.lstrip("+")
    return None


def _normalise_phone(typed: str, region: str) -> str:
    number = phone_number(typed, region)
    if number is not None:
        return number
    raise ValueError(say("channels.not_a_phone", typed=escape(typed), region=escape(region)))
