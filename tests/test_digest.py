"""The daily digest: its arithmetic (percentages, rounding, DST days, which day is due), its
figures against a seeded database, its post in both languages, its chart, its clock, and its
writer's two calls each made once whatever is cut off between them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from bot.config import ConfigError, load_settings
from bot.domain import MassEvent, MassState, OutboxState, PostKind
from bot.domain.digest import (
    AgentCounts,
    Counts,
    DayDigest,
    DayTotals,
    MassOfDay,
    NewContacts,
    PlatformCounts,
    day_bounds,
    due_day,
    fold,
    local_date,
    percent,
    week_of,
)
from bot.domain.owed import digest as owed_digest
from bot.heynow import Channel, PlatformRef
from bot.i18n import Texts, speaking
from bot.jobs.digest import DigestJob, digest_periodic
from bot.local.standin import Fault
from bot.slack import digest_blocks
from bot.slack.digest_chart import chart_png, file_name
from bot.slack.digest_poster import DigestPosts
from tests.listeners.harness import check_blocks
from tests.test_poster import drain, make_poster

ROOT = Path(__file__).resolve().parents[1]
ZONE = "America/Montevideo"  # UTC-3, no DST since 2015
NEW_YORK = "America/New_York"
DAY = date(2024, 5, 7)
P1 = PlatformRef(Channel.WHATSAPP, "59899000001")
P2 = PlatformRef(Channel.TWITTER, "1460000000000000001")
NOTIFY = "C0NOTIFY"
HOUR = 3600.0


# -- arithmetic ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (0, 0, None),  # nothing sent: no percentage, never a division by zero
        (3, 0, None),
        (0, 5, 0),
        (5, 5, 100),
        (1, 3, 33),
        (2, 3, 67),
        (1, 8, 13),  # 12.5: half up (round() would say 12)
        (3, 8, 38),  # 37.5: half up (round() would say 38 too; both halves go up)
        (5, 8, 63),  # 62.5: round() would say 62
        (1, 200, 1),  # 0.5
        (199, 200, 99),  # 99.5 is not all of them: never 100 %
        (1, 1000, 1),  # 0.1 is not none of them: never 0 %
        (999, 1000, 99),
        (7, 5, 100),  # more than the whole is the whole
    ],
)
def test_percentages_round_half_up_and_never_overstate(part, whole, shown) -> None:
    assert percent(part, whole) == shown


def test_a_days_counts_and_their_percentages() -> None:
    counts = Counts(sent=6, delivered=4, read=2, failures=1, unknowns=1)
    assert (counts.delivered_pct, counts.read_pct, counts.problems) == (67, 33, 2)
    nothing_sent = Counts(failures=2)
    assert (nothing_sent.delivered_pct, nothing_sent.read_pct) == (None, None)
    assert not nothing_sent.empty and Counts().empty
    assert counts + nothing_sent == Counts(6, 4, 2, 3, 1)


def test_folding_sorts_agents_by_most_sent_then_most_problems_then_id() -> None:
    rows = [
        {"slack_user": "UB", "channel_id": 1, "platform_id": "1", "sent": 2, "failures": 1},
        {"slack_user": "UA", "channel_id": 1, "platform_id": "1", "sent": 2},
        {"slack_user": "UC", "channel_id": 3, "platform_id": "9", "sent": 5},
        {"slack_user": "UA", "channel_id": 3, "platform_id": "9", "sent": 1, "delivered": 1},
        {"slack_user": "UD", "channel_id": None, "platform_id": None, "unknowns": 1},
    ]
    totals, agents, platforms = fold(rows)
    assert totals == Counts(sent=10, delivered=1, failures=1, unknowns=1)
    assert [a.user for a in agents] == ["UC", "UA", "UB", "UD"]
    assert agents[1].counts == Counts(sent=3, delivered=1)
    assert [(str(p.ref), p.counts.sent) for p in platforms] == [("3:9", 6), ("1:1", 4)]


def test_a_day_is_23_or_25_hours_where_clocks_move_and_24_elsewhere() -> None:
    def hours(day: date, zone: str) -> float:
        start, end = day_bounds(day, zone)
        return (end - start) / HOUR

    assert hours(date(2024, 3, 10), NEW_YORK) == 23  # clocks forward
    assert hours(date(2024, 11, 3), NEW_YORK) == 25  # clocks back
    assert hours(date(2024, 7, 1), NEW_YORK) == 24
    assert hours(date(2024, 3, 10), ZONE) == hours(date(2024, 11, 3), ZONE) == 24
    start, end = day_bounds(date(2024, 3, 10), NEW_YORK)
    assert start == datetime(2024, 3, 10, 5, tzinfo=ZoneInfo("UTC")).timestamp()  # EST
    assert end == datetime(2024, 3, 11, 4, tzinfo=ZoneInfo("UTC")).timestamp()  # EDT
    assert day_bounds(date(2024, 3, 11), NEW_YORK)[0] == end  # the days touch
    assert local_date(end - 1, NEW_YORK) == date(2024, 3, 10)
    assert local_date(end, NEW_YORK) == date(2024, 3, 11)


def at(day: date, hour: int, minute: int = 0, zone: str = ZONE) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone)).timestamp()


def test_the_digest_of_a_day_is_due_once_its_time_has_passed_that_day_only() -> None:
    six = clock_time(18, 0)
    assert due_day(at(DAY, 17, 59), ZONE, six) is None
    assert due_day(at(DAY, 18, 0), ZONE, six) == DAY
    assert due_day(at(DAY, 23, 59), ZONE, six) == DAY  # down at 18:00, back later: late, once
    assert due_day(at(DAY + timedelta(days=1), 0, 30), ZONE, six) is None  # a missed day is gone
    # On the day New York's clocks skip 02:00-03:00, a 02:30 digest comes when 02:30 EST would.
    skipped = date(2024, 3, 10)
    assert due_day(at(skipped, 1, 59, NEW_YORK), NEW_YORK, clock_time(2, 30)) is None
    assert due_day(at(skipped, 3, 30, NEW_YORK), NEW_YORK, clock_time(2, 30)) == skipped
    assert week_of(DAY) == [DAY - timedelta(days=n) for n in range(6, -1, -1)]


# -- the clock job -------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def digest_rows(store) -> list[dict]:
    return store._db.rows("SELECT * FROM outbox WHERE kind = 'digest' ORDER BY id")  # noqa: SLF001


def test_the_job_owes_one_row_a_day_across_runs_and_restarts(fresh_store) -> None:
    clock = Clock(at(DAY, 17, 59))
    woken: list[int] = []

    def job() -> DigestJob:
        return DigestJob(
            fresh_store,
            channel=NOTIFY,
            zone=ZONE,
            at=clock_time(18),
            clock=clock,
            wake_outbox=lambda: woken.append(1),
        )

    first = job()
    assert first.run() is None and digest_rows(fresh_store) == []
    clock.now = at(DAY, 18, 0)
    assert first.run() == DAY
    assert first.run() is None  # the same process does not write it again
    assert job().run() == DAY  # a restart owes it again: the same row
    clock.now = at(DAY, 20, 0)
    assert job().run() == DAY
    [row] = digest_rows(fresh_store)
    assert (row["dedupe_key"], row["channel"], row["kind"]) == (
        "digest:2024-05-07",
        NOTIFY,
        "digest",
    )
    assert row["payload"] == '{"date": "2024-05-07"}'
    assert woken  # the outbox is woken, not left to its idle wait
    clock.now = at(DAY + timedelta(days=2), 9, 0)  # down from 20:00 until two days later
    assert job().run() is None
    assert len(digest_rows(fresh_store)) == 1  # the day in between is not posted late


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, clock_time(18)), ("19:30", clock_time(19, 30)), ("off", None), ("OFF", None)],
)
def test_the_digest_time_is_read_and_can_be_turned_off(raw, expected, fresh_store) -> None:
    env = {"HEYNOW_NOTIFY_CHANNEL": NOTIFY} | ({"HEYNOW_DIGEST_TIME": raw} if raw else {})
    settings = load_settings(env, env_file=None)
    assert settings.team.digest_time == expected
    jobs = digest_periodic(settings, fresh_store, lambda: None)
    assert [job.job_id for job in jobs] == ([] if expected is None else ["digest"])
    with pytest.raises(ConfigError, match="HEYNOW_DIGEST_TIME"):
        load_settings({"HEYNOW_DIGEST_TIME": "7pm"}, env_file=None)


# -- the figures ---------------------------------------------------------------------------------


def insert(store, n: int, user: str, ref: PlatformRef, state: str, **values: float) -> None:
    store.db["messages"].insert(
        {
            "request_key": f"T:{n}",
            "team_id": "T",
            "slack_channel": "C1",
            "slack_user": user,
            "channel_id": ref.channel.value,
            "platform_id": ref.platform_id,
            "client_id": "59891000001",
            "text": "hi",
            "send_state": state,
            "status": "LU" if values.get("lu_at") else "RU" if values.get("ru_at") else "?",
            "created_at": values.pop("created_at", values.get("sent_at", 0.0)),
            **values,
        }
    )


def seed_sends(store) -> None:
    lo, hi = day_bounds(DAY, ZONE)
    h = HOUR
    insert(store, 1, "U1", P1, "sent", sent_at=lo + 10 * h, ru_at=lo + 11 * h, lu_at=lo + 12 * h)
    insert(store, 2, "U1", P1, "sent", sent_at=lo + 11 * h, ru_at=lo + 11 * h)
    insert(store, 3, "U1", P1, "sent", sent_at=lo + 12 * h)
    insert(store, 4, "U1", P1, "rejected", created_at=lo + 9 * h)
    insert(store, 5, "U1", P2, "sent", sent_at=lo + 13 * h, lu_at=lo + 14 * h)  # RS straight to LU
    insert(store, 6, "U2", P1, "sent", sent_at=lo + 14 * h, ru_at=lo + 15 * h)
    insert(store, 7, "U2", P1, "unknown", created_at=lo + 15 * h)
    insert(store, 8, "U2", P2, "sent", created_at=lo - 60, sent_at=lo)  # asked yesterday
    # not the day's:
    insert(store, 9, "U1", P1, "sent", sent_at=lo - 1, ru_at=lo, lu_at=lo)  # yesterday 23:59:59
    insert(store, 10, "U2", P1, "sent", sent_at=hi)  # tomorrow 00:00
    insert(store, 11, "U1", P1, "rejected", created_at=lo - 1)
    insert(store, 12, "U1", P1, "queued", created_at=lo + h)  # not decided: nothing yet
    insert(store, 13, "U2", P2, "expired", created_at=lo + h)
    first_of_week, _ = day_bounds(DAY - timedelta(days=6), ZONE)
    insert(store, 14, "U1", P1, "sent", sent_at=first_of_week, ru_at=first_of_week + 1)
    insert(store, 15, "U1", P1, "sent", sent_at=first_of_week - 1)  # eight days back


def seed_mass(store) -> tuple[int, int]:
    """Three runs: one started today, one that ended yesterday, one still running since two
    days ago; and a request asked today that has not run."""
    lo, _hi = day_bounds(DAY, ZONE)
    made = []
    for key, started in (
        ("today", lo + 5 * HOUR),
        ("yesterday", lo - 9 * HOUR),
        ("long", lo - 48 * HOUR),
    ):
        request = store.mass.create(
            {
                "request_key": key,
                "requester": "U3",
                "channel_id": P2.channel.value,
                "platform_id": P2.platform_id,
                "template": "Hola",
                "created_at": started - 60,
            },
            [(f"24588{i:05d}", "Hola") for i in range(6)],
            {},
        )
        assert request is not None
        assert store.mass.transition(
            request, MassState.APPROVED, MassEvent.APPROVED, actor="U4", now=started
        )
        assert store.mass.transition(
            request,
            MassState.RUNNING,
            MassEvent.STARTED,
            actor="app",
            now=started,
            started_at=started,
        )
        made.append(request)
    today, yesterday, long = made
    store.db.execute(
        "UPDATE mass_recipients SET state = CASE position WHEN 1 THEN 'sent' WHEN 2 THEN 'sent' "
        "WHEN 3 THEN 'sent' WHEN 4 THEN 'failed' WHEN 5 THEN 'unknown' ELSE 'pending' END, "
        "status = CASE position WHEN 1 THEN 'LU' WHEN 2 THEN 'RU' WHEN 3 THEN 'RS' ELSE '?' END "
        "WHERE request_id = ?",
        [today],
    )
    store.db.execute("UPDATE mass_recipients SET state = 'sent' WHERE request_id = ?", [yesterday])
    assert store.mass.finish_if_done(yesterday, lo - 4 * HOUR)
    asked = store.mass.create(
        {
            "request_key": "asked",
            "requester": "U3",
            "channel_id": 3,
            "platform_id": "1",
            "template": "x",
            "created_at": lo + HOUR,
        },
        [("1", "x")],
        {},
    )
    assert asked is not None
    return today, long


def seed_contacts(store) -> None:
    lo, _hi = day_bounds(DAY, ZONE)
    for n, (ref, seen, taken) in enumerate(
        [
            (P1, lo + HOUR, "U1"),
            (P1, lo + 2 * HOUR, None),
            (P2, lo + 3 * HOUR, None),
            (P2, lo - 1, None),
        ]
    ):
        store.db["new_contacts"].insert(
            {"platform": str(ref), "client_id": f"c{n}", "seen_at": seen, "taken_by": taken}
        )


def test_the_figures_of_a_day_match_the_database(fresh_store) -> None:
    seed_sends(fresh_store)
    today, long = seed_mass(fresh_store)
    seed_contacts(fresh_store)
    found = fresh_store.digest.day(DAY, ZONE)
    assert found.totals == Counts(sent=6, delivered=4, read=2, failures=1, unknowns=1)
    assert (found.totals.delivered_pct, found.totals.read_pct) == (67, 33)
    assert found.agents == (
        AgentCounts("U1", Counts(sent=4, delivered=3, read=2, failures=1)),
        AgentCounts("U2", Counts(sent=2, delivered=1, unknowns=1)),
    )
    assert found.platforms == (
        PlatformCounts(P1, Counts(sent=4, delivered=3, read=1, failures=1, unknowns=1)),
        PlatformCounts(P2, Counts(sent=2, delivered=1, read=1)),
    )
    assert [(m.id, m.state) for m in found.mass] == [
        (today, MassState.RUNNING),
        (long, MassState.RUNNING),
    ]
    ran = found.mass[0]
    assert (ran.total, ran.sent, ran.failed, ran.unknown, ran.delivered, ran.read) == (
        6,
        3,
        1,
        1,
        2,
        1,
    )
    assert (ran.delivered_pct, ran.read_pct, ran.requester, ran.ref) == (67, 33, "U3", P2)
    assert found.new_contacts == NewContacts(by_platform=((str(P1), 2), (str(P2), 1)), taken=1)
    assert not found.quiet


def test_a_day_with_nothing_is_quiet(fresh_store) -> None:
    found = fresh_store.digest.day(DAY, ZONE)
    assert found.quiet and found.agents == () and found.totals == Counts()


def test_the_weeks_totals_come_from_one_query_by_local_day(fresh_store) -> None:
    seed_sends(fresh_store)
    statements: list[str] = []
    fresh_store.db.conn.set_trace_callback(statements.append)
    try:
        week = fresh_store.digest.week(DAY, ZONE)
    finally:
        fresh_store.db.conn.set_trace_callback(None)
    assert len([s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]) == 1
    assert [d.day for d in week] == week_of(DAY)
    assert week[-1] == DayTotals(DAY, 6, 4, 2)
    assert week[-2] == DayTotals(DAY - timedelta(days=1), 1, 1, 1)
    assert week[0] == DayTotals(DAY - timedelta(days=6), 1, 1, 0)
    assert sum(d.sent for d in week) == 8  # eight days back and tomorrow are left out


def test_the_week_follows_local_days_across_a_dst_change(fresh_store) -> None:
    """00:30 on the first summer-time day is that day's, though it is less than 24 hours after
    the day before began (a start + 86,400 bound would give it to the day before)."""
    early = at(date(2024, 3, 11), 0, 30, NEW_YORK)
    insert(fresh_store, 1, "U1", P1, "sent", sent_at=early)
    week = fresh_store.digest.week(date(2024, 3, 12), NEW_YORK)
    assert [(d.day.day, d.sent) for d in week if d.sent] == [(11, 1)]


def test_the_post_of_a_day_is_remembered_once(fresh_store) -> None:
    assert fresh_store.digest.post_of(DAY) is None
    fresh_store.digest.remember_post(DAY, NOTIFY, "1.000001", 10.0)
    fresh_store.digest.remember_post(DAY, NOTIFY, "2.000002", 11.0)
    assert fresh_store.digest.post_of(DAY) == (NOTIFY, "1.000001")
    assert fresh_store.digest.post_of(DAY + timedelta(days=1)) is None


# -- the post --------------------------------------------------------------------------------------

SPANISH = Texts.of("es", ZONE)
ENGLISH = Texts.of("en", ZONE)
LABELS = {str(P1): "WhatsApp ventas"}


def busy_day(agents: int = 2) -> DayDigest:
    many = tuple(
        AgentCounts(f"U{n:04d}", Counts(sent=agents - n, delivered=max(0, agents - n - 1)))
        for n in range(agents)
    )
    return DayDigest(
        day=DAY,
        totals=Counts(sent=6, delivered=4, read=2, failures=1, unknowns=1),
        agents=(*many, AgentCounts("UFAIL", Counts(failures=1))),
        platforms=(
            PlatformCounts(P1, Counts(sent=4, delivered=3)),
            PlatformCounts(P2, Counts(sent=2)),
        ),
        mass=(MassOfDay(7, "U3", P2, MassState.RUNNING, 6, 3, 1, 1, 2, 1),),
        new_contacts=NewContacts(((str(P1), 2), ("not a platform", 1)), taken=1),
    )


def flat(blocks: list[dict]) -> str:
    texts = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts.extend(e["text"] for e in block.get("elements", []))
    return "\n".join(texts)


@pytest.mark.parametrize("texts", [SPANISH, ENGLISH], ids=["es", "en"])
def test_the_post_shows_every_figure_in_both_languages(texts) -> None:
    with speaking(texts):
        text, blocks = digest_blocks.post(busy_day(), LABELS, at(DAY, 18, 0))
    check_blocks(blocks)
    shown = flat(blocks)
    assert blocks[0]["type"] == "header"
    header = blocks[0]["text"]["text"]
    assert ("martes, 7 de mayo de 2024" if texts is SPANISH else "Tuesday, May 7, 2024") in header
    assert ("18:00" if texts is SPANISH else "6:00") in shown
    assert "67%" in shown and "33%" in shown and "67%" in text
    assert "<@U0000>" in shown and "<@U0001>" in shown and "<@U3>" in shown
    assert "WhatsApp ventas" in shown  # HEYNOW_PLATFORMS' label
    assert P2.label in shown  # none configured: the platform's own
    assert "—" in shown  # UFAIL sent nothing: no percentage
    assert "#7" in shown and ("en curso" if texts is SPANISH else "sending") in shown
    assert ("Contactos nuevos" if texts is SPANISH else "New contacts") in shown


def test_the_other_language_is_not_spoken() -> None:
    with speaking(SPANISH):
        _text, spanish = digest_blocks.post(busy_day(), LABELS, None)
    with speaking(ENGLISH):
        _text, english = digest_blocks.post(busy_day(), LABELS, None)
    assert "Enviados" not in flat(english) and "Sent" not in flat(spanish)
    assert "enviados" in flat(spanish) and "sent" in flat(english)


def test_the_post_stays_under_50_blocks_whatever_the_number_of_agents() -> None:
    with speaking(ENGLISH):
        _text, blocks = digest_blocks.post(busy_day(agents=400), LABELS, None)
    check_blocks(blocks)
    shown = flat(blocks)
    assert len(blocks) < 50
    assert f"and {400 + 1 - digest_blocks.AGENTS_SHOWN} more" in shown
    assert "<@U0000>" in shown and "<@U0399>" not in shown


@pytest.mark.parametrize("texts", [SPANISH, ENGLISH], ids=["es", "en"])
def test_a_quiet_day_still_says_the_app_is_alive(texts) -> None:
    quiet = DayDigest(day=DAY, totals=Counts(), agents=(), platforms=())
    with speaking(texts):
        text, blocks = digest_blocks.post(quiet, LABELS, at(DAY, 18, 0))
    check_blocks(blocks)
    assert len(blocks) == 4  # header, when, the sentence, the chart's note
    assert ("Nada que informar" if texts is SPANISH else "Nothing to report") in flat(blocks)
    assert "—" in text  # 0 sent: no percentage in the notification either


# -- the chart -------------------------------------------------------------------------------------


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_the_chart_is_a_small_png_drawn_without_a_display(monkeypatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("MPLBACKEND", "TkAgg")  # a backend that would need one: not used
    week = [DayTotals(d, 10 + n, 8 + n, 3) for n, d in enumerate(week_of(DAY))]
    with speaking(SPANISH):
        spanish = chart_png(week)
    with speaking(ENGLISH):
        english = chart_png(week)
        nothing = chart_png([DayTotals(d, 0, 0, 0) for d in week_of(DAY)])
    assert png_size(spanish) == png_size(english) == png_size(nothing) == (800, 300)
    assert spanish != english  # the days and legend are the reader's
    assert "matplotlib.pyplot" not in sys.modules  # no global figure state, no GUI backend


def test_starting_the_app_does_not_import_matplotlib() -> None:
    code = "import sys, bot.app; print('matplotlib' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert found.stdout.strip() == "False"


# -- the writer: one post, one chart, whatever is cut off between them ------------------------------


def writer(store, slack, **poster: object):
    made = make_poster(store, slack, **poster)
    made.register(PostKind.DIGEST, DigestPosts(made, zone=ZONE, labels=LABELS).deliver, posts=True)
    return made


def owe_today(store) -> date:
    day = local_date(time.time(), ZONE)
    store.outbox.owe(owed_digest(NOTIFY, day, time.time()))
    return day


def posted(slack) -> list[dict]:
    return [m for m in slack.history.get(NOTIFY, []) if not m.get("thread_ts")]


def charts(slack, day: date) -> list[dict]:
    return [
        share
        for f in slack.files.values()
        if f["name"] == file_name(day) and f["data"]
        for share in f["shares"]
    ]


def done(store) -> bool:
    return not store.outbox.pending()


def test_the_digest_is_posted_then_its_chart_in_its_thread(fresh_store, slack) -> None:
    day = owe_today(fresh_store)
    with speaking(ENGLISH):
        drain(writer(fresh_store, slack), lambda: done(fresh_store))
    [post] = posted(slack)
    assert post["metadata"]["event_payload"] == {"key": f"digest:{day}"}
    [share] = charts(slack, day)
    assert share == {"channel": NOTIFY, "thread_ts": post["ts"], "comment": None}
    [png] = [f["data"] for f in slack.files.values() if f["name"] == file_name(day)]
    assert png_size(png) == (800, 300)
    assert fresh_store.digest.post_of(day) == (NOTIFY, post["ts"])
    [row] = digest_rows(fresh_store)
    assert (row["state"], row["posted_ts"]) == (OutboxState.POSTED.value, post["ts"])


@pytest.mark.parametrize("fault", ["chat.postMessage", "files.completeUploadExternal"])
def test_a_lost_answer_makes_neither_call_twice(fresh_store, slack, fault) -> None:
    """The post's answer lost: it is found by its metadata; the upload's: in the thread."""
    slack.inject(Fault(fault, delay=1.5))  # does the work, then answers too late
    day = owe_today(fresh_store)
    poster = writer(fresh_store, slack, timeout=0.5)
    assert poster.step()
    assert digest_rows(fresh_store)[0]["maybe_posted"] == 1
    drain(poster, lambda: done(fresh_store))
    assert len(posted(slack)) == 1
    assert len(charts(slack, day)) == 1


def test_a_rate_limited_upload_is_retried_under_the_same_post(fresh_store, slack) -> None:
    """A 429 says nothing went out, so the row is retried as not posted: only the recorded ts
    keeps the retry from posting the digest a second time."""
    slack.rate_limit("files.getUploadURLExternal", count=1, retry_after=1)
    day = owe_today(fresh_store)
    poster = writer(fresh_store, slack)
    assert poster.step()
    assert digest_rows(fresh_store)[0]["maybe_posted"] == 0
    drain(poster, lambda: done(fresh_store))
    assert len(posted(slack)) == 1
    assert len(charts(slack, day)) == 1


class Killed(BaseException):
    """kill -9: nothing after it runs, not even the poster's own error handling."""


@pytest.mark.parametrize("where", ["before_recording", "before_upload", "before_done"])
def test_a_kill_between_the_calls_leaves_one_post_and_one_chart(fresh_store, slack, where) -> None:
    day = owe_today(fresh_store)
    first = writer(fresh_store, slack, lease=5.0)
    digests = fresh_store.digest
    if where == "before_recording":
        original = digests.remember_post
        digests.remember_post = lambda *a: (_ for _ in ()).throw(Killed())  # type: ignore[method-assign]
    elif where == "before_upload":
        original = DigestPosts._upload
        DigestPosts._upload = lambda *a: (_ for _ in ()).throw(Killed())  # type: ignore[method-assign]
    else:
        original = first.done
        first.done = lambda *a: (_ for _ in ()).throw(Killed())  # type: ignore[method-assign]
    try:
        with pytest.raises(Killed):
            first.step()
    finally:
        if where == "before_recording":
            digests.remember_post = original  # type: ignore[method-assign]
        elif where == "before_upload":
            DigestPosts._upload = original  # type: ignore[method-assign]
    assert len(posted(slack)) == 1
    after = writer(fresh_store, slack, owner="p2")
    after.clock = lambda: time.time() + 10  # the dead process's lease has run out
    drain(after, lambda: done(fresh_store))
    assert len(posted(slack)) == 1
    assert len(charts(slack, day)) == 1
    assert fresh_store.digest.post_of(day) == (NOTIFY, posted(slack)[0]["ts"])


def test_a_refused_chart_leaves_the_digest_posted_without_it(fresh_store, slack, caplog) -> None:
    day = owe_today(fresh_store)
    poster = writer(fresh_store, slack)
    refusal = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="files.getUploadURLExternal",
        req_args={},
        data={"ok": False, "error": "missing_scope"},
        headers={},
        status_code=200,
    )
    real_call = poster.call

    def call(method: str, pause_key: str, **fields: object) -> object:
        if method == "files_upload_v2":
            raise SlackApiError("missing_scope", refusal)
        return real_call(method, pause_key, **fields)

    poster.call = call  # type: ignore[method-assign]
    drain(poster, lambda: done(fresh_store))
    assert len(posted(slack)) == 1 and charts(slack, day) == []
    assert digest_rows(fresh_store)[0]["state"] == OutboxState.POSTED.value
    assert "without it" in caplog.text
