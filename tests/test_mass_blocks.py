"""Every payload of mass sends as Slack checks it (slack_sdk's models), over generated texts,
reasons and counts, in both languages; and what each state offers and says."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import AllowedPlatform
from bot.domain import MassState, PauseReason, RecipientState, Status
from bot.domain.mass import MassRecipient, MassRequest, Progress
from bot.heynow import PlatformRef
from bot.i18n import Texts, speaking
from bot.slack import mass_blocks
from bot.slack.mass_form import mass_form
from tests.listeners.harness import check_blocks, check_view

EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
REQUEST = MassRequest(
    id=7,
    request_key="k",
    team_id="T",
    requester="U1",
    origin_channel="C1",
    channel_id=2,
    platform_id="104857600123456",
    template="Hola {nombre}",
    not_before=None,
    state=MassState.PENDING,
    pause_reason=None,
    reason=None,
    created_at=1796144700.0,
    expires_at=1796231100.0,
    decided_by=None,
    decided_at=None,
    started_at=None,
    finished_at=None,
    approval_channel="C0APPROVE",
    approval_ts="1.2",
    summary_ts=None,
    locale="es_UY",
    zone="America/Montevideo",
    total=1200,
    left_out={"duplicate": 3, "opted_out": 1},
    failures_in_a_row=0,
    round=1,
    quiet_until=None,
)
LABELS = {"2:104857600123456": "Facebook"}
any_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=4096
)


@pytest.fixture(autouse=True, params=["es", "en"])
def language(request) -> Iterator[str]:
    with speaking(Texts.of(request.param, "America/Montevideo")):
        yield request.param


def sample(text: str, position: int = 1) -> MassRecipient:
    return MassRecipient(
        id=position,
        request_id=7,
        position=position,
        client_id=f"2458811{position:09d}",
        text=text,
        state=RecipientState.PENDING,
        round=1,
        id_message_hey=None,
        error=None,
        status=Status.UNKNOWN,
        sent_at=None,
        lease_owner=None,
        lease_expires=None,
    )


progresses = st.builds(
    lambda sent, failed, unknown, pending: Progress(
        total=sent + failed + unknown + pending,
        sent=sent,
        failed=failed,
        unknown=unknown,
        pending=pending,
        delivered=sent // 2,
        read=sent // 3,
        failures=(("NotFound", failed),) if failed else (),
    ),
    st.integers(0, 10_000),
    st.integers(0, 500),
    st.integers(0, 20),
    st.integers(0, 10_000),
)


@EXAMPLES
@given(
    st.sampled_from(list(MassState)),
    progresses,
    st.lists(any_text, max_size=3),
    st.one_of(st.none(), any_text),
    st.sampled_from([None, PauseReason.BY_PERSON, PauseReason.FAILURES]),
)
def test_the_approval_post_in_every_state(state, progress, texts, reason, pause):
    request = replace(
        REQUEST, state=state, reason=reason, pause_reason=pause, decided_by="U2", decided_at=1.0
    )
    notification, blocks = mass_blocks.approval_post(
        request, progress, [sample(t, n) for n, t in enumerate(texts, 1)], 10, LABELS
    )
    check_blocks(blocks)
    assert notification and "Facebook" in blocks[0]["text"]["text"]
    offered = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    expected = [f"mass_{what}" for what, _ in mass_blocks.BUTTONS.get(state, ())]
    if state is MassState.FINISHED and not progress.failed:
        expected = []
    assert offered == expected


def test_a_final_state_offers_no_button():
    for state in (MassState.CANCELLED, MassState.STOPPED, MassState.REJECTED, MassState.EXPIRED):
        _, blocks = mass_blocks.approval_post(
            replace(REQUEST, state=state), Progress(5), [], 10, LABELS
        )
        assert not [b for b in blocks if b["type"] == "actions"]


@EXAMPLES
@given(progresses)
def test_the_summary(progress):
    _, blocks = mass_blocks.summary(replace(REQUEST, state=MassState.FINISHED), progress)
    check_blocks(blocks)


@EXAMPLES
@given(st.lists(st.builds(lambda n: replace(REQUEST, id=n), st.integers(1, 10**6)), max_size=30))
def test_the_list(requests):
    check_blocks(mass_blocks.listing(requests, LABELS))


@EXAMPLES
@given(
    st.lists(
        st.sampled_from(
            [
                "requested",
                "approved",
                "rejected",
                "test_sent",
                "started",
                "paused",
                "resumed",
                "quiet_hours",
                "cancelled",
                "stopped",
                "finished",
                "expired",
                "retried",
            ]
        ),
        max_size=60,
    ),
    any_text,
)
def test_the_history(kinds, reason):
    events = [
        {"at": 1.0 + n, "actor": "U2", "kind": k, "detail": {"reason": reason}}
        for n, k in enumerate(kinds)
    ]
    check_blocks(mass_blocks.shown(REQUEST, Progress(3, sent=3), events, 10, LABELS))


def test_the_forms_are_views_slack_takes():
    platforms = (AllowedPlatform(PlatformRef.parse("2:104857600123456"), "Facebook " * 20),)
    check_view(mass_form(platforms, "C1"))
    check_view(mass_blocks.reject_form(7))
    check_view(mass_blocks.test_form(7, PlatformRef.parse("1:5989").channel))


@EXAMPLES
@given(st.lists(st.from_regex(r"[0-9]{8,15}", fullmatch=True), max_size=400))
def test_the_opt_out_list(numbers):
    check_blocks(mass_blocks.opt_out_list(numbers))
