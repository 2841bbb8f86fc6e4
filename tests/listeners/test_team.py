"""Notifications in HEYNOW_NOTIFY_CHANNEL, through the real Runtime: new contacts (none on the
first look, one post per new client, I'll take it once), problems once each, and one alert per
Hey Now outage with one recovery notice."""

from __future__ import annotations

import httpx
import pytest

from bot.domain import Health
from bot.i18n import Texts
from bot.local.console import as_text
from tests.listeners.harness import Sim, Slack, settled, wait_for

EN, ES = Texts.of("en"), Texts.of("es")
NOTIFY = "C0NOTIFY"
PLATFORM = "1:59899000001"


@pytest.fixture
def team_runtime(make_runtime):
    return make_runtime(
        HEYNOW_NOTIFY_CHANNEL=NOTIFY,
        HEYNOW_AGENDA_POLL_MINUTES="0.0001",
        HEYNOW_RECOVERY_SECONDS="0.2",
    )


def periodic(runtime, job_id):
    return next(p for p in runtime.jobs.periodic if p.job_id == job_id).run


def team_posts(slack: Slack) -> list[dict]:
    return slack.posts(NOTIFY)


def first_snapshot(runtime) -> None:
    wait_for(
        lambda: runtime.store._db.rows("SELECT 1 FROM agenda_watch WHERE taken_at IS NOT NULL")
    )


def add_contact(sim: Sim, client_id: str, first_name: str) -> None:
    contact = {"client_id": client_id, "first_name": first_name, "last_name": "Nueva"}
    httpx.post(
        sim.url + "/_sim/contacts",
        json={"channel": 1, "platform_id": "59899000001", "contact": contact},
    ).raise_for_status()


def writes_for_the_first_time(runtime, client_id: str, first_name: str) -> None:
    """After the first look: a client writes to the platform, and the app looks again."""
    first_snapshot(runtime)
    add_contact(Sim(runtime.simulator.url), client_id, first_name)
    periodic(runtime, "agenda-watch")()


def buttons(post: dict) -> dict[str, dict]:
    actions = next(b for b in post["blocks"] if b["type"] == "actions")
    return {e["action_id"]: e for e in actions["elements"]}


def test_a_new_contact_is_posted_once_with_buttons_and_the_first_look_posts_nothing(
    team_runtime, standin
):
    slack = Slack(team_runtime, standin, standin.url)  # type: ignore[attr-defined]
    sim = Sim(team_runtime.simulator.url)
    first_snapshot(team_runtime)
    assert team_posts(slack) == []  # the demo agenda was there before: history, not news

    add_contact(sim, "59891000077", "Lucía")
    periodic(team_runtime, "agenda-watch")()
    post = wait_for(lambda: team_posts(slack))[0]
    assert "Lucía Nueva" in as_text(post) and "59891000077" in as_text(post)
    assert set(buttons(post)) == {"team_send", "team_take"}
    periodic(team_runtime, "agenda-watch")()  # a second look finds nothing new
    wait_for(lambda: settled(team_runtime))
    assert len(team_posts(slack)) == 1

    send = slack.click(buttons(post)["team_send"], block_id="team_contact")
    view = wait_for(lambda: slack.opened_views(send.trigger))[0]
    values = {b.get("block_id"): b.get("element", {}).get("initial_value") for b in view["blocks"]}
    assert values["platform"] == PLATFORM and values["client"] == "59891000077"


def test_ill_take_it_twice_by_two_people_leaves_one_taker(team_runtime, standin):
    slack = Slack(team_runtime, standin, standin.url)  # type: ignore[attr-defined]
    other = Slack(team_runtime, standin, standin.url)  # type: ignore[attr-defined]
    writes_for_the_first_time(team_runtime, "59891000078", "Marta")
    post = wait_for(lambda: team_posts(slack))[0]

    mine = slack.click(buttons(post)["team_take"], block_id="team_contact")
    assert slack.response(mine.ref)["text"] == EN("team.took_it", who="Marta Nueva")
    theirs = other.click(buttons(post)["team_take"], block_id="team_contact")
    told = other.response(theirs.ref)["text"]
    assert told.startswith(
        EN("team.taken_by_other", user=f"<@{slack.user}>", who="Marta Nueva", at="\0").split("\0")[
            0
        ]
    )
    again = slack.click(buttons(post)["team_take"], block_id="team_contact")
    assert slack.response(again.ref)["text"] == EN("team.took_it_already", who="Marta Nueva")

    updates = wait_for(lambda: slack.calls("chat.update"))
    assert len(updates) == 1  # one redraw, for the one taker
    redrawn = updates[0].body
    assert f"<@{slack.user}>" in str(redrawn["blocks"]) and set(buttons(redrawn)) == {"team_send"}
    taken = team_runtime.store._db.rows("SELECT taken_by FROM new_contacts")
    assert taken == [{"taken_by": slack.user}]


def test_a_forged_contact_button_is_out_of_date(team_runtime, standin):
    slack = Slack(team_runtime, standin, standin.url)  # type: ignore[attr-defined]
    forged = {
        "action_id": "team_take",
        "text": {"type": "plain_text", "text": "x"},
        "value": '{"contact": 999}',
    }
    ack = slack.click(forged, block_id="team_contact")
    assert slack.response(ack.ref)["text"] == EN("explain.out_of_date")


def test_the_team_channel_speaks_heynow_language(make_runtime, standin):
    runtime = make_runtime(
        HEYNOW_NOTIFY_CHANNEL=NOTIFY, HEYNOW_AGENDA_POLL_MINUTES="0.0001", HEYNOW_LANGUAGE="es"
    )
    slack = Slack(runtime, standin, standin.url)  # type: ignore[attr-defined]
    writes_for_the_first_time(runtime, "59891000079", "Ana")
    post = wait_for(lambda: team_posts(slack))[0]
    assert ES("team.send_button") in {b["text"]["text"] for b in buttons(post).values()}
    assert ES(
        "team.new_contact", who="*Ana Nueva* (59891000079)", platform="WhatsApp 59899000001"
    ) in as_text(post)


def test_a_refused_send_is_posted_once_with_what_to_do(team_runtime, standin):
    slack = Slack(team_runtime, standin, standin.url)  # type: ignore[attr-defined]
    sim = Sim(team_runtime.simulator.url)
    sim.fault(method="POST", path="/api/message/", status=404)
    slack.command("send 091000001 hola")
    wait_for(lambda: settled(team_runtime))
    periodic(team_runtime, "team-alerts").__self__.settle = 0  # no outage to wait for here
    periodic(team_runtime, "team-alerts")()
    alert = wait_for(lambda: team_posts(slack))[0]
    assert EN("team.todo.rejected") in as_text(alert) and f"<@{slack.user}>" in str(alert["blocks"])
    periodic(team_runtime, "team-alerts")()
    wait_for(lambda: settled(team_runtime))
    assert len(team_posts(slack)) == 1


def test_an_outage_is_one_alert_and_one_recovery_notice(team_runtime, standin):
    slack = Slack(team_runtime, standin, standin.url)  # type: ignore[attr-defined]
    sim = Sim(team_runtime.simulator.url)
    periodic(team_runtime, "team-alerts")()  # the team begins to be told now
    sim.fault(path="/api/", status=503, count=100_000)  # Hey Now is down
    for n in range(5):
        slack.command(f"send 091000001 during the outage {n}")
    wait_for(lambda: settled(team_runtime))
    assert team_runtime.store.team.health().health is Health.DOWN
    periodic(team_runtime, "team-alerts")()  # the lost sends are folded into the outage
    httpx.delete(sim.url + "/_sim/faults").raise_for_status()  # it is back
    slack.command("send 091000001 after the outage")
    wait_for(lambda: team_runtime.store.team.health().health is Health.UP)
    periodic(team_runtime, "team-alerts").__self__.settle = 0  # as if their time had come
    periodic(team_runtime, "team-alerts")()  # they were in the outage: not posted one by one
    wait_for(lambda: settled(team_runtime))
    texts = [as_text(p) for p in team_posts(slack)]
    outage = [t for t in texts if EN("team.todo.outage") in t]
    recovered = [t for t in texts if EN("team.todo.recovered") in t]
    assert len(outage) == 1 and len(recovered) == 1 and len(texts) == 2, texts
    assert EN("team.folded_other", count="5") in recovered[0]


def test_a_restart_neither_repeats_the_first_look_nor_an_outages_alert(make_runtime, standin):
    env = {
        "HEYNOW_NOTIFY_CHANNEL": NOTIFY,
        "HEYNOW_AGENDA_POLL_MINUTES": "0.0001",
        "HEYNOW_RECOVERY_SECONDS": "0.2",
    }
    before = make_runtime(**env)
    slack = Slack(before, standin, standin.url)  # type: ignore[attr-defined]
    first_snapshot(before)
    sim = Sim(before.simulator.url)
    sim.fault(path="/api/", status=503, count=100_000)
    for n in range(3):
        slack.command(f"send 091000001 before the restart {n}")
    wait_for(lambda: settled(before))
    wait_for(lambda: len(team_posts(slack)) == 1)  # the outage
    before.close()

    after = make_runtime(**env)  # the same database: the snapshot and the outage are known
    slack = Slack(after, standin, standin.url)  # type: ignore[attr-defined]
    add_contact(Sim(after.simulator.url), "59891000080", "Rosa")
    periodic(after, "agenda-watch")()
    periodic(after, "heynow-probe")()  # Hey Now answers (at start-up already): it ends
    wait_for(lambda: len(team_posts(slack)) >= 3)
    wait_for(lambda: settled(after))
    texts = [as_text(p) for p in team_posts(slack)]
    assert sum(EN("team.todo.outage") in t for t in texts) == 1
    assert sum(EN("team.todo.recovered") in t for t in texts) == 1
    assert sum("Rosa Nueva" in t for t in texts) == 1 and len(texts) == 3


def test_a_new_contact_is_taken_from_the_home_tab(make_runtime, standin):
    from tests.listeners.test_home import buttons as home_buttons
    from tests.listeners.test_home import click_on_home, dms, homes, open_home

    runtime = make_runtime(HEYNOW_NOTIFY_CHANNEL=NOTIFY, HEYNOW_AGENDA_POLL_MINUTES="0.0001")
    slack = Slack(runtime, standin, standin.url)  # type: ignore[attr-defined]
    writes_for_the_first_time(runtime, "59891000081", "Elsa")
    wait_for(lambda: team_posts(slack))
    open_home(slack)
    view = wait_for(lambda: homes(slack))[0]
    contact = runtime.store.team.unclaimed()[0]
    block = f"home_contact_{contact.id}"
    assert {e["action_id"] for e in home_buttons(view)[block]} == {"team_send", "team_take"}
    click_on_home(slack, view, block, "team_take")
    told = wait_for(lambda: dms(standin, slack.user))
    assert told == [EN("team.took_it", who="Elsa Nueva")]  # no response_url: in the DM
    assert runtime.store.team.contact(contact.id).taken_by == slack.user
    redrawn = wait_for(lambda: homes(slack)[1:])[-1]
    assert block not in home_buttons(redrawn)  # taken: no longer waiting on the Home
    wait_for(lambda: slack.calls("chat.update"))  # and its post says who took it


def test_someone_who_may_not_send_cannot_take_a_contact(make_runtime, standin):
    runtime = make_runtime(
        HEYNOW_NOTIFY_CHANNEL=NOTIFY, HEYNOW_AGENDA_POLL_MINUTES="0.0001", HEYNOW_SENDERS="U0ONLY"
    )
    slack = Slack(runtime, standin, standin.url)  # type: ignore[attr-defined]
    writes_for_the_first_time(runtime, "59891000082", "Olga")
    post = wait_for(lambda: team_posts(slack))[0]
    ack = slack.click(buttons(post)["team_take"], block_id="team_contact")
    assert "U0ONLY" in slack.response(ack.ref)["text"]
    assert runtime.store.team.unclaimed_count() == 1  # nobody took it
