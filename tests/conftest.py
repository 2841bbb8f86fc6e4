from collections.abc import Iterator

import pytest

from bot.httpserver import start_in_thread
from bot.i18n import Texts, speaking
from bot.local.standin import SlackStandIn
from storage import Store

STANDIN_TOKEN = "xoxb-standin"  # the bot token the Slack stand-in of unit tests accepts

ROW = {
    "request_key": "T1:trig-1",
    "team_id": "T1",
    "slack_channel": "C1",
    "slack_user": "U1",
    "created_at": 100.0,
    "channel_id": 1,
    "platform_id": "59899000001",
    "client_id": "59891000001",
    "text": "hi",
    "validate": 1,
}


@pytest.fixture
def fresh_store() -> Store:
    store = Store(":memory:")
    yield store
    store.close()


def sent_message(store: Store, key: str = "k", at: float = 100.0, hey_id: str = "hey-1") -> int:
    """A send recorded, claimed and sent at `at`, its channel post owed and released."""
    message_id = store.messages.enqueue({**ROW, "request_key": key, "created_at": at})
    message = store.messages.claim_send("w", at, 60)
    assert message is not None and message.id == message_id
    assert store.messages.mark_sent(message, "w", hey_id, at, first_poll_at=at + 10, announce_at=at)
    return message_id


@pytest.fixture
def slack():
    """The recording Slack stand-in, served on loopback (`slack.url`)."""
    standin = SlackStandIn(token=STANDIN_TOKEN)
    server = start_in_thread(standin)
    standin.url = server.url
    yield standin
    server.stop()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Unit tests read the English texts unless they speak another language themselves; the app
    itself always says which language it speaks (handlers, outbox, console)."""
    with speaking(Texts.of("en", "UTC")):
        yield
