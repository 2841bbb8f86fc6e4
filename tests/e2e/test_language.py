"""Two people of one team, end to end: one whose Slack is in Spanish (Montevideo), one in
English (New York). Each is answered in their own language; each one's channel post and its
thread replies speak its sender's language, with times in the sender's zone."""

from __future__ import annotations

import re
import time

import pytest

from bot.i18n import Texts
from tests.e2e.harness import SlackUser, app_says, app_says_until, wait_for
from tests.e2e.slackview import ack_text, answer, channel_posts, thread_replies

PEOPLE = {
    "es": ({"locale": "es-LA", "tz": "America/Montevideo"}, "enviar", "estado", "Hola Ana"),
    "en": ({"locale": "en-US", "tz": "America/New_York"}, "send", "status", "Hi Ana"),
}


def around_now(texts: Texts) -> set[str]:
    """How `texts` writes the minutes around now (a reply comes within them)."""
    now = time.time()
    return {texts.when(now + delta) for delta in range(-120, 61, 30)}


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_person_is_answered_and_followed_in_their_language(person, slack, language):
    profile, send, status, text = PEOPLE[language]
    texts = Texts.for_slack(profile["locale"], profile["tz"], Texts.of("en"))
    slack.people[person.user] = profile
    response, _ = person.slash(f"{send} 091000001 {text}")
    assert ack_text(response) == app_says(
        "answer.sending", texts=texts, client="59891000001", platform="WhatsApp 59899000001"
    )
    post = wait_for(lambda: channel_posts(slack, person.channel))[0]
    head = app_says(
        "post.head",
        texts=texts,
        sender=f"<@{person.user}>",
        recipient="*Ana Pérez* (59891000001)",
        platform="WhatsApp 59899000001",
    )
    assert post["blocks"][0]["text"]["text"].startswith(head)
    replies = wait_for(
        lambda: (
            len(thread_replies(slack, person.channel)) >= 2
            and thread_replies(slack, person.channel)
        )
    )
    delivered = app_says_until("reply.delivered.whatsapp_at", "when", texts=texts, who="Ana Pérez")
    assert delivered in replies[0]
    shown_when = replies[0].split(delivered, 1)[1].removesuffix(".")
    assert shown_when in around_now(texts), (shown_when, texts.zone)
    history = answer(slack, person, status)
    mine = app_says("history.scope.mine", texts=texts)
    assert history.startswith(app_says_until("history.title", "window", texts=texts, scope=mine))


def test_the_readers_and_the_senders_languages_are_their_own(person, slack, app):
    spanish, english = person, SlackUser(app, slack.url)
    english.channel = spanish.channel
    slack.people[spanish.user] = PEOPLE["es"][0]
    slack.people[english.user] = PEOPLE["en"][0]
    spanish.slash("enviar 091000001 hola, ¿cómo estás?")
    post = wait_for(lambda: channel_posts(slack, spanish.channel))[0]
    number = re.search(r"#(\d+)", post["blocks"][-1]["elements"][0]["text"]).group(1)
    said = answer(slack, english, f"status #{number}")  # posted in a public channel: shown
    assert said.startswith("*Ana Pérez* (59891000001) through WhatsApp 59899000001: ")
    again = answer(slack, spanish, f"estado #{number}")
    assert again.startswith("*Ana Pérez* (59891000001) por WhatsApp 59899000001: ")
