"""Checks of what a person typed, shared by the slash command and the send form.

They live here, not in handlers, so that both refuse the same things with the same words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import takewhile

from bot.config import AllowedPlatform
from bot.heynow import PlatformRef
from bot.heynow.channels import Channel, normalise_client_id, phone_number
from bot.i18n import current, say
from bot.mrkdwn import escape

_NUMBER_PART = re.compile(r"^[\d+().\-]+$")  # a word that may be part of a typed phone number
NUMBER_WORDS_MAX = 16  # an E.164 number has at most 15 digits, and a `+`


class InputError(ValueError):
    """The person's input cannot be used; the message says what to do instead.

    `field` names the input at fault (platform, client, text) so a modal can mark it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SlackOrigin:
    """Who asked, where, and the key that makes a repeat of the same request a no-op
    (Slack's retries, a form submitted twice)."""

    team_id: str | None
    channel_id: str
    user_id: str
    request_key: str
    response_url: str | None = None


@dataclass(frozen=True)
class SendRequest:
    origin: SlackOrigin
    ref: PlatformRef
    client_id: str
    text: str
    validate: bool


class Inputs:
    def __init__(
        self,
        *,
        default_platform: PlatformRef | None,
        default_region: str,
        platforms: tuple[AllowedPlatform, ...] = (),
    ) -> None:
        self.default_platform = default_platform
        self.default_region = default_region
        self.platforms = platforms  # HEYNOW_PLATFORMS; empty: any platform of the account

    def platform(self, typed: str | None) -> PlatformRef:
        if typed:
            try:
                ref = PlatformRef.parse(typed)
            except ValueError as exc:
                raise InputError(str(exc), "platform") from None
            if self.platforms and ref not in {p.ref for p in self.platforms}:
                known = ", ".join(f"`{p.ref}` ({escape(p.label)})" for p in self.platforms)
                raise InputError(
                    say("input.not_our_platform", ref=escape(ref), known=known), "platform"
                )
            return ref
        if self.default_platform is None:
            raise InputError(say("input.no_default_platform"), "platform")
        return self.default_platform

    def client_id(self, ref: PlatformRef, typed: str) -> str:
        try:
            return normalise_client_id(ref.channel, typed, self.default_region)
        except ValueError as exc:
            raise InputError(str(exc), "client") from None

    def client_words(self, platform: str | None, words: Sequence[str]) -> int:
        """How many of a send's leading `words` name its client (grammar.ClientWords).

        On WhatsApp, the longest run of words that is a valid phone number, so `+598 91 000
        002 Hola` sends "Hola" to 59891000002; only words of digits and `+ ( ) . -` are tried,
        so the text is never taken for part of a number, and at most NUMBER_WORDS_MAX of them
        (a bound on the work, not on any real number). When no run is valid, all those words,
        so that the error names what was typed (`091 000`). Other channels' ids are one word,
        and so is the client when the platform is wrong (send_request then says why).
        """
        try:
            ref = self.platform(platform)
        except InputError:
            return 1
        if ref.channel is not Channel.WHATSAPP:
            return 1
        parts = list(takewhile(_NUMBER_PART.match, words[:NUMBER_WORDS_MAX]))
        for count in range(len(parts), 0, -1):
            if phone_number(" ".join(parts[:count]), self.default_region) is not None:
                return count
        return max(1, len(parts))

    def phone_number(self, ref: PlatformRef, typed: str) -> str | None:
        """`typed` as a WhatsApp id if `ref` is on WhatsApp and `typed` is a valid number."""
        if ref.channel is not Channel.WHATSAPP:
            return None
        return phone_number(typed, self.default_region)

    def send_request(
        self, origin: SlackOrigin, platform: str | None, client: str, text: str, *, validate: bool
    ) -> SendRequest:
        """Check everything that can be checked before Hey Now is asked."""
        ref = self.platform(platform)
        if not ref.channel.sends_single_messages:
            raise InputError(say("input.no_single_messages", channel=ref.channel.label), "platform")
        if not client.strip():
            raise InputError(say("input.no_client"), "client")
        client_id = self.client_id(ref, client)
        text = text.strip()
        if not text:
            raise InputError(say("input.empty_text"), "text")
        limit = ref.channel.text_limit
        if len(text) > limit:
            raise InputError(
                say(
                    "input.too_long",
                    length=current().number(len(text)),
                    channel=ref.channel.label,
                    limit=current().number(limit),
                ),
                "text",
            )
        return SendRequest(
            origin=origin, ref=ref, client_id=client_id, text=text, validate=validate
        )
