"""What people read, in their language: the gettext catalogues and the reader's clock.

Every text a person sees is a key of `locales/<language>/LC_MESSAGES/heynow.po`, one catalogue
per language, with named placeholders (`{who}`). Code says `say("key", who=...)`; which language
that is depends on who reads it, set once at each entry point with `speaking(...)`: a listener
speaks the language of the person it answers, the outbox that of the sender of the message a
post is about. Values put into a text are escaped by the caller, as everywhere in bot.slack.
"""

from __future__ import annotations

from bot.i18n.texts import LANGUAGES, Texts, current, knows, plural, say, speaking

__all__ = ["LANGUAGES", "Texts", "current", "knows", "plural", "say", "speaking"]
