"""The Home tab: what it shows an approver and a sender, its caps, its Block Kit in both
languages, and when it is (and is not) published again."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.domain import Health, MassEvent, MassState, OutboxState, PostKind
from bot.domain.owed import home_view
from bot.heynow import PlatformRef
from bot.i18n import LANGUAGES, Texts, speaking
from bot.jobs.home_refresh import HomeRefresh
from bot.services.home import Home
from bot.services.inputs import SlackOrigin
from bot.services.mass import MassDraft, MassPolicy, MassSends
from bot.services.permissions import Permissions
from bot.slack import home_blocks, mass_blocks
from bot.slack.home_poster import HomePosts
from storage import Store
from tests.conftest import ROW, sent_message
from tests.listeners.harness import check_view
from tests.test_poster import drain, make_poster

SENDER, BOSS, OTHER_BOSS = "U1", "U0BOSS", "U0BOSS2"
REF = PlatformRef.parse("2:104857600123456")
LABELS = {str(REF): "Facebook", "1:59899000001": "WhatsApp Ventas"}
HOSTILE = "<!channel> *Ana* & <@U999> " + "Ñandú 👍🏽 " * 60


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    opened = Store(tmp_path / "home.db")
    yield opened
    opened.close()


def permissions() -> Permissions:
    return Permissions(None, senders=(), platforms=(), approvers=(BOSS, OTHER_BOSS))  # type: ignore[arg-type]


def home(store: Store, *, mass_enabled: bool = True) -> Home:
    return Home(store, permissions(), mass_enabled=mass_enabled, allow_self_approval=False)


def sends(store: Store) -> MassSends:
    policy = MassPolicy(approvals_channel="C0APPROVE", allow_self_approval=False, expiry_hours=1)
    return MassSends(store, None, permissions(), policy)  # type: ignore[arg-type]


def asked(
    store: Store, requester: str = SENDER, template: str = "Cerramos mañana", n: int = 3
) -> int:
    draft = MassDraft(REF, template, tuple((f"c{i}", template) for i in range(n)), {}, None)
    key = f"k{requester}{time.monotonic_ns()}"
    origin = SlackOrigin(team_id="T1", channel_id="C1", user_id=requester, request_key=key)
    made = sends(store).submit(draft, origin, Texts.of("es"))
    assert made is not None
    return made


def new_contact(store: Store, number: int, name: str | None = "Ana") -> None:
    store.db["new_contacts"].insert(
        {
            "platform": "1:59899000001",
            "client_id": f"5989100{number:04d}",
            "name": name,
            "seen_at": 1_700_000_000.0 + number,
        }
    )


def view_of(store: Store, user: str, *, mass_enabled: bool = True) -> dict[str, Any]:
    shows = home(store, mass_enabled=mass_enabled).shows(user)
    view = home_blocks.home_view(shows, 10.0, LABELS, not_a_sender="only some")
    check_view(view)
    return view


def actions(view: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each actions block's buttons, by block id."""
    return {b["block_id"]: b["elements"] for b in view["blocks"] if b["type"] == "actions"}


def shown(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    with speaking(Texts.of(request.param, "America/Montevideo")):
        yield request.param


# -- what it shows ---------------------------------------------------------------------------


def test_a_sender_sees_their_messages_with_their_status_and_no_approvals(store, language):
    first = sent_message(store, "a", at=1_700_000_000.0)
    second = sent_message(store, "b", at=1_700_000_100.0, hey_id="hey-2")
    store.messages.enqueue({**ROW, "request_key": "someone", "slack_user": "U2", "text": "no"})
    asked(store, requester=BOSS)  # pending, for approvers only
    view = view_of(store, SENDER)
    text = shown(view)
    assert text.index(f"`#{second}`") < text.index(f"`#{first}`")  # newest first
    assert "Hey Now" in text and '"no"' not in text  # someone else's send is not there
    with speaking(Texts.of(language)) as texts:
        assert texts("status.unknown.whatsapp") in text
        assert texts("home.runs.empty") in text
    assert list(actions(view)) == ["home_buttons"]  # no approval buttons
    assert [b["action_id"] for b in actions(view)["home_buttons"]] == [
        home_blocks.NEW_MESSAGE,
        home_blocks.NEW_MASS_SEND,
    ]


def test_an_approver_sees_the_pending_request_with_its_approval_posts_buttons(store, language):
    request_id = asked(store, requester=SENDER)
    view = view_of(store, BOSS)
    buttons = actions(view)[f"home_pending_{request_id}"]
    request = store.mass.get(request_id)
    _, post = mass_blocks.approval_post(request, store.mass.progress(request), [], 10.0, LABELS)
    on_post = next(b["elements"] for b in post if b["type"] == "actions")
    assert buttons == on_post  # the same action ids and values: the same handlers answer
    assert [b["action_id"] for b in buttons] == ["mass_approve", "mass_reject", "mass_test"]
    assert "Cerramos mañana" in shown(view) and "Facebook" in shown(view)


def test_an_approvers_own_request_shows_no_approve_button(store, language):
    request_id = asked(store, requester=BOSS)
    view = view_of(store, BOSS)
    ids = [b["action_id"] for b in actions(view)[f"home_pending_{request_id}"]]
    assert ids == ["mass_reject", "mass_test"]
    with speaking(Texts.of(language)) as texts:
        assert texts("home.pending.own") in shown(view)


def test_runs_are_all_shown_to_approvers_and_their_own_to_requesters(store, language):
    mine, theirs = asked(store, requester=SENDER), asked(store, requester="U2")
    for request_id in (mine, theirs):
        assert sends(store).approve(request_id, BOSS).verdict == "done"
    store.mass.transition(mine, MassState.RUNNING, MassEvent.STARTED, actor="app", now=1.0)
    sender_view, boss_view = view_of(store, SENDER), view_of(store, BOSS)
    assert f"home_run_{mine}" in actions(sender_view)
    assert f"home_run_{theirs}" not in actions(sender_view)
    assert {f"home_run_{mine}", f"home_run_{theirs}"} <= set(actions(boss_view))
    pause = actions(sender_view)[f"home_run_{mine}"][0]
    assert pause["action_id"] == "mass_pause" and json.loads(pause["value"]) == {"request": mine}
    assert "░" in shown(sender_view)  # its progress bar


def test_a_non_sender_gets_no_buttons_but_the_reason(store):
    new_contact(store, 7, "Ana Pérez")  # a new client's name and number are not theirs to see
    limited = Permissions(None, senders=("U0ONLY",), platforms=())  # type: ignore[arg-type]
    shows = Home(store, limited, mass_enabled=True, allow_self_approval=False).shows(SENDER)
    view = home_blocks.home_view(shows, 10.0, LABELS, not_a_sender="Only <@U0ONLY> may send")
    check_view(view)
    assert actions(view) == {}
    assert "Only <@U0ONLY> may send" in shown(view)
    assert "Ana Pérez" not in shown(view) and "59891000007" not in shown(view)


def test_without_mass_sends_there_is_no_mass_button_nor_section(store, language):
    view = view_of(store, BOSS, mass_enabled=False)
    assert [b["action_id"] for b in actions(view)["home_buttons"]] == [home_blocks.NEW_MESSAGE]
    with speaking(Texts.of(language)) as texts:
        assert texts("home.runs.empty") not in shown(view)
        assert texts("home.pending.empty") not in shown(view)
        assert texts("home.messages.empty") in shown(view)


def test_hey_nows_health_is_said_with_what_it_answered(store, language):
    store.team.change_health(Health.DOWN, 1_700_000_000.0, "<!here> timed out", lambda _was: None)
    text = shown(view_of(store, SENDER))
    assert "&lt;!here&gt; timed out" in text and "<!here>" not in text
    store.team.change_health(Health.REFUSED, 1_700_000_100.0, "401", lambda _was: None)
    assert "HEYNOW_PASSWORD" in shown(view_of(store, SENDER))


def test_unclaimed_contacts_are_counted_and_the_newest_shown(store, language):
    for number in range(8):
        new_contact(store, number, name=f"Cliente {number}")
    text = shown(view_of(store, SENDER))
    assert "Cliente 7" in text and "Cliente 3" in text and "Cliente 2" not in text
    assert "WhatsApp Ventas" in text and "(8)" in text
    with speaking(Texts.of(language)) as texts:
        assert texts("home.contacts.more", count="3") in text


def test_big_hostile_data_stays_within_a_homes_limits(store, language):
    """Hundreds of everything, every name and text hostile and long: still one valid view."""
    for number in range(40):
        message_id = sent_message(store, f"m{number}", at=1_700_000_000.0 + number)
        store.db.execute(
            "UPDATE messages SET client_name = ?, text = ?, client_id = ? WHERE id = ?",
            [HOSTILE, HOSTILE * 5, HOSTILE, message_id],
        )
    for number in range(30):
        asked(store, requester=f"U{number}", template=HOSTILE * 3, n=2)
    for request_id in range(1, 16):
        sends(store).approve(request_id, BOSS)
    for number in range(300):
        new_contact(store, number, name=HOSTILE)
    view = view_of(store, BOSS)
    assert len(view["blocks"]) <= home_blocks.HOME_BLOCKS_LIMIT
    text = shown(view)
    assert "<!channel>" not in text and "<@U999>" not in text
    with speaking(Texts.of(language)) as texts:
        assert texts("home.more", count="10") in text  # 15 still pending, 5 shown
        assert texts("home.contacts.more", count=texts.number(295)) in text


# -- when it is published --------------------------------------------------------------------


def opened(store: Store, user: str = SENDER, language: str = "en") -> Home:
    service = home(store)
    service.opened(user, Texts.of(language), seen_before=False, key="1.0")
    return service


def publishes(slack: Any) -> list[dict[str, Any]]:
    return [c.body for c in slack.of("views.publish")]


def poster_with_home(store: Store, slack: Any, service: Home) -> Any:
    poster = make_poster(store, slack)
    poster.register(PostKind.HOME, HomePosts(poster, service).deliver)
    return poster


def test_an_unchanged_home_is_not_published_again(store, slack):
    service = opened(store)
    poster = poster_with_home(store, slack, service)
    drain(poster, lambda: not store.outbox.pending())
    assert len(publishes(slack)) == 1
    store.outbox.owe(service.owed(store.home.viewer(SENDER), "again"))
    drain(poster, lambda: not store.outbox.pending())
    assert len(publishes(slack)) == 1  # drawn, equal to what Slack shows: not published
    states = {
        r["dedupe_key"]: r["state"]
        for r in store.db.query("SELECT dedupe_key, state FROM outbox WHERE kind = 'home'")
    }
    assert states[f"home:{SENDER}:again"] == OutboxState.SUPERSEDED
    sent_message(store, "new", at=time.time())  # now it shows something new
    store.outbox.owe(service.owed(store.home.viewer(SENDER), "after"))
    drain(poster, lambda: not [r for r in store.outbox.pending() if r["kind"] == "home"])
    assert len(publishes(slack)) == 2
    assert publishes(slack)[-1]["user_id"] == SENDER


def test_a_home_opened_again_without_slacks_view_is_published_even_if_unchanged(store, slack):
    service = opened(store)
    poster = poster_with_home(store, slack, service)
    drain(poster, lambda: not store.outbox.pending())
    service.opened(SENDER, Texts.of("en"), seen_before=True, key="2.0")
    drain(poster, lambda: not store.outbox.pending())
    assert len(publishes(slack)) == 1
    service.opened(SENDER, Texts.of("en"), seen_before=False, key="3.0")  # Slack lost it
    drain(poster, lambda: not store.outbox.pending())
    assert len(publishes(slack)) == 2


def test_a_home_is_drawn_in_its_viewers_language(store, slack):
    service = opened(store, language="es")
    drain(poster_with_home(store, slack, service), lambda: not store.outbox.pending())
    with speaking(Texts.of("es")) as texts:
        assert texts("home.button.new_message") in json.dumps(
            publishes(slack)[0]["view"], ensure_ascii=False
        )


def test_a_rate_limited_views_publish_waits_and_then_goes(store, slack):
    slack.rate_limit("views.publish", count=1, retry_after=1)
    service = opened(store)
    poster = poster_with_home(store, slack, service)
    drain(poster, lambda: publishes(slack))
    assert [c.answered for c in slack.calls if c.method == "views.publish"] == [429, 200]


def test_a_home_slack_refuses_for_good_is_given_up(store, slack):
    service = opened(store)
    poster = poster_with_home(store, slack, service)
    original = slack._result

    def refuse(method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "views.publish":
            return {"ok": False, "error": "not_enabled"}
        return original(method, body)

    slack._result = refuse
    drain(poster, lambda: not store.outbox.pending())
    [row] = list(store.db.query("SELECT state, last_error FROM outbox WHERE kind = 'home'"))
    assert row == {"state": "given_up", "last_error": "not_enabled"}


# -- when it is owed again -------------------------------------------------------------------


def test_the_fingerprint_moves_with_what_a_home_shows(store):
    service = opened(store)
    message_id = sent_message(store, "f", at=1.0)
    marks = service.team_marks
    before = service.fingerprint(SENDER, marks())
    assert service.fingerprint(SENDER, marks()) == before  # nothing moved
    store.db.execute("UPDATE messages SET status = 'RU' WHERE id = ?", [message_id])
    after_status = service.fingerprint(SENDER, marks())
    assert after_status != before
    new_contact(store, 1)
    after_contact = service.fingerprint(SENDER, marks())
    assert after_contact != after_status
    store.team.change_health(Health.DOWN, 5.0, "", lambda _was: None)
    after_outage = service.fingerprint(SENDER, marks())
    assert after_outage != after_contact
    store.team.change_health(Health.UP, 6.0, "", lambda _was: None)
    assert service.fingerprint(SENDER, marks()) not in (after_contact, after_outage)
    asked(store)
    assert service.fingerprint(SENDER, marks()) != after_outage


def test_the_refresh_owes_a_redraw_only_when_something_moved(store):
    service = opened(store)
    store.db.execute("UPDATE outbox SET state = 'posted' WHERE kind = 'home'")
    refresh = HomeRefresh(service)
    assert refresh.run() == 1  # its first fingerprint
    store.db.execute("UPDATE outbox SET state = 'posted' WHERE kind = 'home'")
    assert refresh.run() == 0  # nothing moved
    sent_message(store, "moved", at=2.0)
    assert refresh.run() == 1
    assert refresh.run() == 0  # its redraw is still owed: it will draw the latest


def test_the_refresh_skips_old_viewers_and_is_bounded_oldest_published_first(store):
    service = home(store)
    for number in range(30):
        service.opened(f"U{number:02d}", Texts.of("en"), seen_before=True, key=str(number))
        store.home.published(f"U{number:02d}", "x", float(1000 - number))  # U29 the oldest
    store.db.execute("UPDATE outbox SET state = 'posted'")
    store.db.execute("UPDATE home_views SET opened_at = 0 WHERE user = 'U29'")  # two days ago
    assert HomeRefresh(service, per_round=5).run() == 5
    owed = sorted(r["user"] for r in store.outbox.pending())
    assert owed == ["U24", "U25", "U26", "U27", "U28"]


def test_someone_who_never_opened_their_home_gets_nothing(store):
    sent_message(store, "x", at=1.0)
    service = home(store)
    assert HomeRefresh(service).run() == 0
    assert service.redraw(SENDER, "decided") is False
    assert [r for r in store.outbox.pending() if r["kind"] == "home"] == []


def test_a_homes_row_speaks_its_viewers_language():
    owed = home_view("U1", "open:1", 5.0, locale="es_UY", zone="America/Montevideo")
    assert owed.payload == {"locale": "es_UY", "zone": "America/Montevideo"}
    assert (owed.topic, owed.kind, owed.user) == ("home:U1", PostKind.HOME, "U1")


def test_after_a_restart_the_refresh_goes_on_and_owes_nothing_unchanged(tmp_path):
    before = Store(tmp_path / "restart.db")
    service = opened(before)
    before.db.execute("UPDATE outbox SET state = 'posted'")
    assert HomeRefresh(service).run() == 1
    before.db.execute("UPDATE outbox SET state = 'posted'")
    before.close()
    after = Store(tmp_path / "restart.db")  # the process started again
    try:
        refresh = HomeRefresh(home(after))
        assert refresh.run() == 0  # its viewers are remembered, and nothing moved
        sent_message(after, "later", at=3.0)
        assert refresh.run() == 1
    finally:
        after.close()
