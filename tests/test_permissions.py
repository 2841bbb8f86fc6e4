"""Who may do what, against the Slack stand-in on loopback."""

from slack_sdk import WebClient

from bot.config import AllowedPlatform
from bot.domain import SendState
from bot.heynow import PlatformRef
from bot.services.permissions import Permissions
from storage import Store
from tests.conftest import ROW, STANDIN_TOKEN

TOKEN = STANDIN_TOKEN


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def permissions(slack, clock=None, **kwargs):
    client = WebClient(token=TOKEN, base_url=slack.url + "/api/")
    defaults = {"senders": (), "platforms": ()}
    return Permissions(client, **{**defaults, **kwargs}, clock=clock or Clock())


def test_with_no_senders_configured_everyone_may_send(slack):
    assert permissions(slack).may_send("U0ANYONE")


def test_senders_are_the_named_users_and_the_members_of_the_named_groups(slack):
    slack.usergroups["S0TEAM"] = ["U0ANA", "U0BOB"]
    allowed = permissions(slack, senders=("U0BOSS", "S0TEAM"))
    assert [allowed.may_send(u) for u in ("U0BOSS", "U0ANA", "U0EVE")] == [True, True, False]


def test_group_members_are_cached_and_read_again_after_a_few_minutes(slack):
    clock = Clock()
    slack.usergroups["S0TEAM"] = ["U0ANA"]
    allowed = permissions(slack, clock, senders=("S0TEAM",))
    assert allowed.may_send("U0ANA")
    slack.usergroups["S0TEAM"] = ["U0BOB"]
    assert allowed.may_send("U0ANA") and not allowed.may_send("U0BOB")  # cached
    clock.now += 301
    assert allowed.may_send("U0BOB") and not allowed.may_send("U0ANA")
    assert len(slack.of("usergroups.users.list")) == 2


def test_slack_failing_keeps_the_last_members_known(slack):
    clock = Clock()
    slack.usergroups["S0TEAM"] = ["U0ANA"]
    allowed = permissions(slack, clock, senders=("S0TEAM",))
    assert allowed.may_send("U0ANA")
    del slack.usergroups["S0TEAM"]  # Slack now answers an error
    clock.now += 301
    assert allowed.may_send("U0ANA")


def test_only_the_configured_platforms_are_allowed(slack):
    ventas = PlatformRef.parse("1:59899000001")
    allowed = permissions(slack, platforms=(AllowedPlatform(ventas, "Ventas"),))
    assert allowed.platform_allowed(ventas)
    assert not allowed.platform_allowed(PlatformRef.parse("2:104857600123456"))
    assert allowed.label(ventas) == "Ventas"
    assert permissions(slack).platform_allowed(PlatformRef.parse("2:104857600123456"))


def message_in(channel, sender="U1"):
    store = Store(":memory:")
    store.messages.enqueue({**ROW, "slack_channel": channel, "slack_user": sender})
    message = store.messages.get(1)
    assert message.send_state is SendState.QUEUED
    return message


def test_a_message_is_shown_to_its_sender_and_in_public_channels_to_anyone(slack):
    slack.private_channels.add("C0SECRET")
    allowed = permissions(slack)
    assert allowed.may_see(message_in("C0SECRET"), "U1")
    assert not allowed.may_see(message_in("C0SECRET"), "U2")
    assert allowed.may_see(message_in("C0PUBLIC"), "U2")
    assert not allowed.may_see(message_in("U1"), "U2")  # followed in the sender's DM
