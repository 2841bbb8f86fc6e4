"""The same request twice sends once: Slack's retries, a double click, another process."""

from __future__ import annotations

from tests.listeners.harness import Sim, Slack, form_values, settled, wait_for


def test_a_slack_retry_of_a_send_sends_once(slack, sim, db, runtime):
    first = slack.command("send 091000001 only once")
    assert "Sending to 59891000001" in first.text
    retry = slack.command(
        "send 091000001 only once",
        trigger=first.trigger,
        X_Slack_Retry_Num="1",
        X_Slack_Retry_Reason="http_timeout",
    )
    assert retry.status == 200 and retry.body == ""
    wait_for(slack.posts)
    wait_for(lambda: settled(runtime))
    assert len(db.messages()) == 1
    assert len(sim.sends("only once")) == 1
    assert len(slack.posts()) == 1


def test_a_retry_that_reaches_another_process_sends_once(slack, make_runtime, standin, db, sim):
    """Another app process has not seen the first request: the database's key stops it.

    The other process only takes requests here: its jobs would take this process's leases for
    a dead predecessor's (same pid), which two processes never are."""
    other = make_runtime(start=False)  # the same database, its own memory of requests
    first = slack.command("send 091000001 across processes")
    elsewhere = Slack(other, standin, slack.url, user=slack.user, channel=slack.channel)
    retry = elsewhere.command(
        "send 091000001 across processes", trigger=first.trigger, X_Slack_Retry_Num="1"
    )
    assert retry.status == 200
    wait_for(slack.posts)
    wait_for(lambda: settled(slack.runtime))
    assert len(db.messages()) == 1
    sends = sim.sends("across processes") + Sim(other.simulator.url).sends("across processes")
    assert len(sends) == 1
    assert len(slack.posts()) == 1


def opened_form(slack) -> dict:
    ack = slack.command("send")
    return slack.as_slack_holds_it(wait_for(lambda: slack.opened_views(ack.trigger))[0])


def test_a_double_clicked_form_sends_once(slack, sim, db, runtime):
    form = opened_form(slack)
    values = form_values("091000002", "clicked twice")
    one = slack.submit(form, values, trigger="111.1.first")
    two = slack.submit(form, values, trigger="111.2.second")
    assert (one.status, one.body, two.status, two.body) == (200, "", 200, "")
    wait_for(slack.posts)
    wait_for(lambda: settled(runtime))
    assert len(db.messages()) == 1
    assert len(sim.sends("clicked twice")) == 1
    assert len(slack.posts()) == 1


def test_a_form_corrected_after_a_field_error_sends(slack, sim, db, runtime):
    form = opened_form(slack)
    refused = slack.submit(form, form_values("12", "corrected"))
    assert list(refused.json["errors"]) == ["client"]
    accepted = slack.submit(form, form_values("091000002", "corrected"))
    assert accepted.status == 200 and accepted.body == ""
    wait_for(lambda: sim.sends("corrected"))
    wait_for(lambda: settled(runtime))
    assert [r["client_id"] for r in db.messages()] == ["59891000002"]
    assert len(sim.sends("corrected")) == 1


def test_a_form_edited_after_its_answer_was_lost_sends_the_edit_too(slack, sim, db):
    """Slack keeps the modal open when the app's answer does not arrive: the person may edit
    it and submit again (same view id and hash, new values), which is a new message."""
    form = opened_form(slack)
    slack.submit(form, form_values("091000002", "first words"))
    slack.submit(form, form_values("091000002", "edited words"))
    wait_for(lambda: sim.sends("first words") and sim.sends("edited words"))
    assert [r["text"] for r in db.messages()] == ["first words", "edited words"]
