"""Slack mrkdwn's escaping, for the modules below bot.slack whose texts people read (the
Hey Now channels, the checks of what was typed, the command grammar): what a person typed
goes into their error texts escaped, so a typed `<!channel>` pings nobody.

bot.slack.render has the same `escape` (a test keeps the two alike); this one imports
nothing, so bot.services and handlers.commands may use it without an import cycle.
"""

from __future__ import annotations


def escape(text: object) -> str:
    """`&`, `<` and `>` as the entities Slack wants (its only special characters)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_plain(text: str, limit: int) -> str:
    """mrkdwn the app wrote, for a place Slack shows as plain text (a form field's error):
    entities back to characters, no `*` or backticks, cut between words within `limit`."""
    plain = text.replace("`", "").replace("*", "")
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if len(plain) <= limit:
        return plain
    cut = plain[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"
