"""The team's view below Slack: the agenda diff, I'll take it, problems once each, Hey Now's
health (one alert per change), and the posts' Block Kit in both languages."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import Block

from bot.domain import Health, SendState, TeamNotice
from bot.heynow.channels import PlatformRef
from bot.heynow.client import Contact
from bot.heynow.errors import DeliveryUnknown, HeyNowUnreachable, ServerError
from bot.i18n import Texts, speaking
from bot.jobs.agenda_watch import MAX_POSTS, AgendaWatch
from bot.jobs.team_alerts import MAX_POSTS as MAX_ALERTS
from bot.jobs.team_alerts import SETTLE_SECONDS, TeamAlerts
from bot.services.health import FAILURES_FOR_OUTAGE, HeyNowHealth
from bot.services.team import TeamContacts
from bot.slack import team_blocks
from storage.team import NewContact
from tests.conftest import ROW, sent_message

REF = PlatformRef.parse("1:59899000001")
CHANNEL = "C0NOTIFY"


class Agenda:
    """A Hey Now whose agenda a test sets; it may fail after `fail_after` contacts."""

    def __init__(self) -> None:
        self.contacts: list[Contact] = []
        self.fail_after: int | None = None
        self.logins = 0

    def agenda_batches(self, ref, each, size=500):
        batch, count = [], 0
        for contact in self.contacts:
            if self.fail_after is not None and count >= self.fail_after:
                raise HeyNowUnreachable("cut off mid-agenda")
            batch.append(contact)
            count += 1
            if len(batch) >= 3:  # small batches, so that a test crosses several
                each(batch)
                batch = []
        if batch:
            each(batch)
        return count


def contacts(*ids: str) -> list[Contact]:
    return [Contact(client_id=i, name=f"Client {i}") for i in ids]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def agenda():
    return Agenda()


@pytest.fixture
def watch(fresh_store, agenda, clock):
    return AgendaWatch(
        fresh_store,
        agenda,  # type: ignore[arg-type]
        [REF],
        channel=CHANNEL,
        every_seconds=300,
        owner="me",
        wake_outbox=lambda: None,
        clock=clock,
    )


def owed_posts(store, kind="team_post"):
    return store._db.rows(
        "SELECT dedupe_key, payload FROM outbox WHERE kind = ? ORDER BY id", [kind]
    )


def test_the_first_look_only_takes_the_snapshot(watch, fresh_store, agenda):
    agenda.contacts = contacts(*(f"5989100{n:04d}" for n in range(10)))
    watch.tick()
    assert owed_posts(fresh_store) == []
    assert fresh_store.team.snapshot_size(str(REF)) == 10
    assert fresh_store.team.unclaimed_count() == 0


def test_a_later_look_posts_each_new_contact_once(watch, fresh_store, agenda, clock):
    agenda.contacts = contacts("a1", "a2", "a3", "a4")
    watch.tick()
    agenda.contacts = contacts("a1", "b1", "a2", "a3", "b2", "a4")
    clock.now += 300
    watch.tick()
    posts = owed_posts(fresh_store)
    assert [json.loads(p["payload"])["notice"] for p in posts] == ["new_contact"] * 2
    assert [c.client_id for c in fresh_store.team.unclaimed()] == ["b2", "b1"] or {
        c.client_id for c in fresh_store.team.unclaimed()
    } == {"b1", "b2"}
    clock.now += 300
    watch.tick()  # nothing new since
    assert len(owed_posts(fresh_store)) == 2


def test_a_look_is_not_made_before_it_is_due(watch, fresh_store, agenda, clock):
    agenda.contacts = contacts("a1")
    watch.tick()
    agenda.contacts = contacts("a1", "b1")
    clock.now += 299
    watch.tick()
    assert owed_posts(fresh_store) == []
    clock.now += 1
    watch.tick()
    assert len(owed_posts(fresh_store)) == 1


def test_a_look_cut_off_midway_keeps_what_came_and_posts_nobody_twice(
    watch, fresh_store, agenda, clock
):
    agenda.contacts = contacts("a1")
    watch.tick()
    agenda.contacts = contacts("a1", *(f"n{n}" for n in range(8)))
    agenda.fail_after = 5  # a kill -9 or a lost connection after the first batches
    clock.now += 300
    watch.tick()
    first = {json.loads(p["payload"])["contact"] for p in owed_posts(fresh_store)}
    assert len(first) == 2  # the batch that was whole when it broke (a1, n0, n1)
    agenda.fail_after = None
    clock.now += 60  # the retry after a failure
    watch.tick()
    every = [json.loads(p["payload"])["contact"] for p in owed_posts(fresh_store)]
    assert len(every) == len(set(every)) == 8


def test_a_flood_of_new_contacts_is_capped_with_one_post_for_the_rest(
    watch, fresh_store, agenda, clock
):
    agenda.contacts = contacts("a1")
    watch.tick()
    agenda.contacts = contacts("a1", *(f"n{n}" for n in range(MAX_POSTS + 7)))
    clock.now += 300
    watch.tick()
    notices = [json.loads(p["payload"]) for p in owed_posts(fresh_store)]
    assert [n["notice"] for n in notices].count("new_contact") == MAX_POSTS
    assert notices[-1] == {"notice": "more_contacts", "platform": str(REF), "count": 7}
    assert fresh_store.team.unclaimed_count() == MAX_POSTS + 7  # all of them are on Home


def test_two_takers_at_once_leave_one(fresh_store, watch, agenda, clock):
    agenda.contacts = contacts("a1")
    watch.tick()
    agenda.contacts = contacts("a1", "b1")
    clock.now += 300
    watch.tick()
    contact = fresh_store.team.unclaimed()[0]
    team = TeamContacts(fresh_store, wake_outbox=lambda: None, clock=clock)
    first, second = team.take(contact.id, "U1"), team.take(contact.id, "U2")
    assert first.won and not second.won and second.contact.taken_by == "U1"
    assert len(owed_posts(fresh_store, "team_update")) == 1
    assert fresh_store.team.unclaimed_count() == 0


# -- Hey Now's health ------------------------------------------------------------------------


@pytest.fixture
def health(fresh_store, clock):
    return HeyNowHealth(fresh_store, CHANNEL, wake_outbox=lambda: None, clock=clock)


def test_an_outage_is_one_alert_however_many_calls_fail(health, fresh_store, clock):
    for _ in range(FAILURES_FOR_OUTAGE - 1):
        health.failed("HTTP 503")
    assert health.seen is Health.UP and owed_posts(fresh_store) == []  # a blip is not news
    for _ in range(20):
        health.failed("HTTP 503")
    assert [json.loads(p["payload"])["notice"] for p in owed_posts(fresh_store)] == ["outage"]
    for _ in range(5):
        health.answered()
    clock.now += health.recovery_seconds
    health.answered()  # answering for long enough: it is back
    notices = [json.loads(p["payload"])["notice"] for p in owed_posts(fresh_store)]
    assert notices == ["outage", "recovered"]


def test_a_hey_now_that_fails_and_answers_by_turns_is_one_outage(health, fresh_store, clock):
    for _minute in range(10):  # a balancer with one bad node: 3 failures, then an answer
        for _ in range(FAILURES_FOR_OUTAGE):
            health.failed("http:503")
        clock.now += 45
        health.answered()
        clock.now += 15
    notices = [json.loads(p["payload"])["notice"] for p in owed_posts(fresh_store)]
    assert notices == ["outage"]


def test_one_call_retried_three_times_is_one_failure(fresh_store, clock):
    import httpx

    from bot.heynow import HeyNowClient

    def answer(request):
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"token": "t" * 40})
        return httpx.Response(503)

    client = HeyNowClient(
        base_url="https://heynow.test/api",
        user="u",
        password="p",
        transport=httpx.MockTransport(answer),
        backoff_seconds=0,
    )
    health = HeyNowHealth(fresh_store, CHANNEL, wake_outbox=lambda: None, clock=clock)
    client.observer = health
    with pytest.raises(ServerError):
        client.contact(REF, "59891000001")  # three attempts at Hey Now
    assert health.seen is Health.UP and owed_posts(fresh_store) == []
    for _ in range(FAILURES_FOR_OUTAGE - 1):
        with pytest.raises(ServerError):
            client.contact(REF, "59891000001")
    assert health.seen is Health.DOWN  # three calls


def test_a_maintenance_page_is_a_failure_not_an_answer(fresh_store, clock):
    import httpx

    from bot.heynow import HeyNowClient

    def answer(request):
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"token": "t" * 40})
        return httpx.Response(200, text="<html>Maintenance</html>")

    client = HeyNowClient(
        base_url="https://heynow.test/api",
        user="u",
        password="p",
        transport=httpx.MockTransport(answer),
    )
    health = HeyNowHealth(fresh_store, CHANNEL, wake_outbox=lambda: None, clock=clock)
    client.observer = health
    for _ in range(FAILURES_FOR_OUTAGE):
        with pytest.raises(DeliveryUnknown):
            client.send_message(REF, "59891000001", "hola")
    assert health.seen is Health.DOWN
    assert fresh_store.team.health().detail == "garbage"


def test_a_second_process_seeing_the_same_outage_owes_nothing_more(health, fresh_store, clock):
    for _ in range(FAILURES_FOR_OUTAGE):
        health.failed("timeout")
    other = HeyNowHealth(fresh_store, CHANNEL, wake_outbox=lambda: None, clock=clock)
    other._seen = Health.UP  # it had not heard yet
    for _ in range(FAILURES_FOR_OUTAGE):
        other.failed("timeout")
    assert len(owed_posts(fresh_store)) == 1


def test_refused_credentials_are_one_alert_and_their_return_one_more(health, fresh_store):
    health.refused()
    health.refused()
    health.failed("HTTP 500")  # refused stays refused: its alert says what to do
    health.answered()
    notices = [json.loads(p["payload"])["notice"] for p in owed_posts(fresh_store)]
    assert notices == ["login_refused", "login_ok"]


def test_without_a_notify_channel_health_is_kept_but_nothing_is_posted(fresh_store, clock):
    quiet = HeyNowHealth(fresh_store, None, wake_outbox=lambda: None, clock=clock)
    for _ in range(FAILURES_FOR_OUTAGE):
        quiet.failed("timeout")
    assert fresh_store.team.health().health is Health.DOWN and owed_posts(fresh_store) == []


# -- problems, once each -----------------------------------------------------------------------


@pytest.fixture
def alerts(fresh_store, health, clock):
    return TeamAlerts(
        fresh_store,
        health,
        channel=CHANNEL,
        stuck_after=1800,
        wake_outbox=lambda: None,
        clock=clock,
    )


def failed_send(store, key, state, at):
    message_id = store.messages.enqueue({**ROW, "request_key": key, "created_at": at})
    message = store.messages.claim_send("w", at, 60)
    from bot.domain import SenderNotice

    notice = SenderNotice.UNKNOWN if state is SendState.UNKNOWN else SenderNotice.REJECTED
    store.messages.mark_failed(
        message, "w", state, "refused", at, notice, {"error": "NotFound", "status_code": 404}
    )
    return message_id


def test_problems_before_the_team_was_told_are_history(alerts, fresh_store, clock):
    failed_send(fresh_store, "old", SendState.REJECTED, clock.now - 10)
    alerts.tick()
    assert owed_posts(fresh_store) == []


def test_each_problem_is_posted_once(alerts, fresh_store, clock):
    alerts.tick()
    failed_send(fresh_store, "r", SendState.REJECTED, clock.now + 1)
    failed_send(fresh_store, "u", SendState.UNKNOWN, clock.now + 2)
    stuck = sent_message(fresh_store, "s", at=clock.now + 3)
    clock.now += 5
    alerts.tick()
    assert owed_posts(fresh_store) == []  # is it the start of an outage? not yet known
    clock.now += SETTLE_SECONDS
    alerts.tick()
    assert [json.loads(p["payload"])["notice"] for p in owed_posts(fresh_store)] == [
        "rejected",
        "unknown",
    ]
    clock.now += 1800
    alerts.tick()
    alerts.tick()
    notices = [json.loads(p["payload"]) for p in owed_posts(fresh_store)]
    assert [n["notice"] for n in notices] == ["rejected", "unknown", "stuck"]
    assert notices[-1]["message"] == stuck


def test_a_burst_of_problems_is_capped_with_one_post_for_the_rest(alerts, fresh_store, clock):
    alerts.tick()
    for n in range(MAX_ALERTS + 4):
        failed_send(fresh_store, f"r{n}", SendState.REJECTED, clock.now + 1)
    clock.now += 2 + SETTLE_SECONDS
    alerts.tick()
    notices = [json.loads(p["payload"]) for p in owed_posts(fresh_store)]
    assert len(notices) == MAX_ALERTS + 1 and notices[-1] == {"notice": "more_problems", "count": 4}
    clock.now += 10
    alerts.tick()  # the ledger holds them all: the next look finds nothing
    assert len(owed_posts(fresh_store)) == MAX_ALERTS + 1


def test_failures_during_an_outage_are_folded_into_it(alerts, health, fresh_store, clock):
    alerts.tick()
    failed_send(fresh_store, "first", SendState.UNKNOWN, clock.now + 1)  # before it is known
    clock.now += 2
    for _ in range(FAILURES_FOR_OUTAGE):
        health.failed("HTTP 503")
    for n in range(3):
        failed_send(fresh_store, f"u{n}", SendState.UNKNOWN, clock.now + 1)
    clock.now += 2 + SETTLE_SECONDS
    alerts.tick()
    assert [json.loads(p["payload"])["notice"] for p in owed_posts(fresh_store)] == ["outage"]
    clock.now += 5
    health.answered()
    clock.now += health.recovery_seconds
    health.answered()
    recovered_at = clock.now
    failed_send(fresh_store, "after", SendState.REJECTED, clock.now + 1)  # after it: news
    clock.now += 2 + SETTLE_SECONDS
    alerts.tick()
    notices = [json.loads(p["payload"])["notice"] for p in owed_posts(fresh_store)]
    assert notices == ["outage", "recovered", "rejected"]
    assert fresh_store.team.failed_between(1_000.0 - SETTLE_SECONDS, recovered_at) == 4


def test_a_blip_that_never_became_an_outage_is_posted(alerts, health, fresh_store, clock):
    alerts.tick()
    health.failed("HTTP 503")
    failed_send(fresh_store, "blip", SendState.UNKNOWN, clock.now + 1)
    health.answered()
    clock.now += 2 + SETTLE_SECONDS
    alerts.tick()
    assert [json.loads(p["payload"])["notice"] for p in owed_posts(fresh_store)] == ["unknown"]


# -- what the team reads ---------------------------------------------------------------------------


def check(blocks):
    assert 0 < len(blocks) <= 50
    for raw, block in zip(blocks, Block.parse_all(blocks), strict=True):
        block.validate_json()
        assert block.to_dict() == raw


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_team_post_is_valid_block_kit_in_both_languages(language, fresh_store, clock):
    hostile = NewContact(
        id=1,
        platform=str(REF),
        client_id="<!channel>",
        name="<!here> " + "Ñ" * 3000,
        seen_at=clock.now,
        taken_by=None,
        taken_at=None,
        post_channel=None,
        post_ts=None,
        locale=None,
    )
    message = fresh_store.messages.get(sent_message(fresh_store, "m", at=clock.now))
    with speaking(Texts.of(language, "America/Montevideo")):
        drawn = [
            team_blocks.new_contact(hostile, {}),
            team_blocks.new_contact(
                NewContact(**{**hostile.__dict__, "taken_by": "U1", "taken_at": clock.now}), {}
            ),
            team_blocks.more_contacts(1, str(REF), {str(REF): "Ventas"}),
            team_blocks.more_problems(40),
            *(
                team_blocks.send_problem(n, message, 30, {"error": "NotFound", "status_code": 404})
                for n in (TeamNotice.REJECTED, TeamNotice.UNKNOWN, TeamNotice.STUCK)
            ),
            *(
                team_blocks.health_news(n, clock.now - 600, clock.now, "HTTP 503", 3)
                for n in (
                    TeamNotice.OUTAGE,
                    TeamNotice.RECOVERED,
                    TeamNotice.LOGIN_REFUSED,
                    TeamNotice.LOGIN_OK,
                )
            ),
        ]
    for text, blocks in drawn:
        assert text
        check(blocks)
        assert "<!channel>" not in json.dumps(blocks) and "<!here>" not in json.dumps(blocks)


def test_a_look_held_by_a_process_that_is_gone_is_taken_over_at_once(fresh_store, clock):
    platforms = [str(REF)]
    held = fresh_store.team.claim_agenda(platforms, clock.now, 300, "dead:1", 600)
    assert held is not None and held.first  # and then the process was killed mid-look
    assert fresh_store.team.claim_agenda(platforms, clock.now + 1, 300, "me:2", 600) is None
    taken = fresh_store.team.claim_agenda(
        platforms, clock.now + 1, 300, "me:2", 600, gone=lambda owner: owner == "dead:1"
    )
    assert taken is not None and taken.platform == str(REF)
