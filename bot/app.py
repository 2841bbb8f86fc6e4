"""The wiring: build every part from Settings, hand the services to the listeners, serve.

Nothing here decides behaviour; it only connects the parts, so that a newcomer reads the whole
architecture in one screen:

    Slack -> handlers (Bolt) -> services -> storage (SQLite) <- jobs (workers, poll, outbox)
                                                                   -> Hey Now, Slack
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.config import ConfigError, Settings
from bot.domain import PostKind
from bot.domain.records import Message
from bot.domain.tracking import PollPolicy
from bot.heynow import HeyNowClient, HeyNowError
from bot.httpserver import RunningServer, start_in_thread
from bot.i18n import Texts, speaking
from bot.jobs.agenda_watch import AgendaWatch
from bot.jobs.digest import digest_periodic
from bot.jobs.home_refresh import HOME_REFRESH_SECONDS, HomeRefresh
from bot.jobs.leases import new_owner
from bot.jobs.loops import ClaimLoop
from bot.jobs.mass_poll import MassPoll
from bot.jobs.mass_run import MassRun, RunPolicy
from bot.jobs.priority import AckPriority
from bot.jobs.scheduler import Jobs, Periodic, Signal
from bot.jobs.send_queue import SendQueue
from bot.jobs.status_poll import StatusPoll
from bot.jobs.team_alerts import TeamAlerts, probe
from bot.lookup_pool import LookupPool
from bot.services.contacts import Contacts
from bot.services.health import HeyNowHealth
from bot.services.history import MessageHistory
from bot.services.home import Home
from bot.services.inputs import Inputs
from bot.services.lookups import Lookups
from bot.services.mass import MassPolicy, MassSends, MassViews
from bot.services.permissions import Permissions
from bot.services.readers import READER_TIMEOUT_SECONDS, Readers
from bot.services.sending import Sending, SendResult
from bot.services.team import TeamContacts
from bot.services.tracking import Tracking
from bot.simulator import (
    SimulatorState,
    StateFileError,
    WorldError,
    load_config,
    make_wsgi_app,
)
from bot.slack.digest_poster import DigestPosts
from bot.slack.explain import unrecorded_note
from bot.slack.history_poster import HistoryFiles
from bot.slack.home_poster import HomePosts
from bot.slack.poster import LOOKUP_PAGES, Poster, PostPolicy
from bot.slack.team_poster import TeamPosts
from bot.web.router import Router
from handlers import register_listeners
from storage import Store

logger = logging.getLogger(__name__)

SEND_WORKERS = 16  # sends in flight at Hey Now at once
POSTERS = 16  # Slack calls in flight at once (across channels and threads)
# A send may take a login, the send, a new login after a 401 and the send again, each up to
# connect + write + read time-outs: its lease covers that, so it does not end while Hey Now answers
# (and an answer after it still corrects the send: storage.messages.mark_sent).
SEND_LEASE_CALLS = 8
MASS_RUNNERS = 8  # mass sends in flight at once; HEYNOW_MASS_RATE paces them all
AGENDA_LOOK_SECONDS = 30  # how often the agendas due for a look are looked for
ALERTS_SECONDS = 10  # how often new problems are looked for
PROBE_SECONDS = 60  # while Hey Now is down or refuses the credentials


@dataclass
class Runtime:
    """Everything one app process runs."""

    settings: Settings
    store: Store
    heynow: HeyNowClient
    bolt: App
    jobs: Jobs
    poster: Poster
    lookup_pool: LookupPool
    priority: AckPriority
    simulator: RunningServer | None

    def wsgi(self) -> Any:
        return Router(self)

    def start(self) -> None:
        self.jobs.start()
        self.lookup_pool.submit(self.check_heynow)

    def check_heynow(self) -> None:
        """Say in the log at start-up whether Hey Now takes the credentials: admins read it
        there before users meet it in Slack."""
        try:
            self.heynow.ensure_token()
        except HeyNowError as exc:
            with speaking(Texts.of(self.settings.language, self.settings.timezone)):
                said = exc.user_message()  # in the admins' language, HEYNOW_LANGUAGE
            logger.error("Hey Now check failed: %s", said)
        else:
            logger.info("Hey Now accepts the app's credentials")

    def close(self) -> None:
        self.lookup_pool.shutdown()
        self.jobs.stop()
        self.heynow.close()
        if self.simulator:
            self.simulator.stop()
        self.store.close()


def slack_client(settings: Settings, *, retries: bool, timeout: float | None = None) -> WebClient:
    """The Web API client. The listeners' client waits out 429s and retries connection errors
    (views.open, the help's buttons); the poster's does neither: it decides itself; nor does
    the readers', which is asked before an ack and must be short."""
    handlers = (
        [
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=5),
        ]
        if retries
        else []
    )
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=int(timeout or settings.slack_timeout_seconds),
        retry_handlers=handlers,
    )


def heynow_backend(settings: Settings, store: Store) -> tuple[HeyNowClient, RunningServer | None]:
    """The configured Hey Now, or the embedded simulator on loopback when HEYNOW_URL is unset.
    The simulator keeps its messages beside the database, so that a restart still finds them."""
    simulator = None
    url, user, password = settings.heynow_url, settings.heynow_user, settings.heynow_password
    if settings.uses_simulator:
        memory = settings.database_path == ":memory:"
        kept = None if memory else settings.database_path + ".simulator.json"
        try:
            state = SimulatorState(load_config(settings.heynow_simulator_config), state_file=kept)
        except WorldError as exc:
            raise ConfigError(f"HEYNOW_SIMULATOR_CONFIG: {exc}") from None
        except StateFileError as exc:
            raise ConfigError(f"DATABASE_PATH: the simulator's messages in {exc}") from None
        simulator = start_in_thread(make_wsgi_app(state))
        url, (user, password) = simulator.url + "/api", state.demo_user
        logger.info("Using the embedded Hey Now simulator at %s", url)
    client = HeyNowClient(
        base_url=url or "",
        user=user or "",
        password=password or "",
        token_cache=store.tokens,
        timeout=settings.heynow_timeout_seconds,
    )
    return client, simulator


def build_runtime(settings: Settings) -> Runtime:
    store = Store(settings.database_path)
    heynow, simulator = heynow_backend(settings, store)
    owner = new_owner()
    wake_sends, wake_outbox = Signal(), Signal()
    heynow_call = settings.heynow_timeout_seconds
    policy = PollPolicy(
        first_interval=settings.poll_seconds,
        max_interval=settings.poll_max_seconds,
        stuck_after=settings.stuck_minutes * 60,
        give_up_after=settings.poll_give_up_hours * 3600,
    )
    contacts = Contacts(heynow)
    tracking = Tracking(store, policy, wake_outbox=wake_outbox)
    sending = Sending(
        store,
        heynow,
        contacts,
        first_poll_seconds=settings.poll_seconds,
        name_wait_seconds=3 * heynow_call + 10,
        wake_queue=wake_sends,
        wake_outbox=wake_outbox,
    )
    inputs = Inputs(
        default_platform=settings.heynow_default_platform,
        default_region=settings.heynow_default_region,
        platforms=settings.heynow_platforms,
    )
    listeners_slack = slack_client(settings, retries=True)
    labels = {str(p.ref): p.label for p in (*settings.heynow_platforms, *settings.mass.platforms)}
    fallback = Texts.of(settings.language, settings.timezone)
    readers = Readers(
        slack_client(settings, retries=False, timeout=READER_TIMEOUT_SECONDS), fallback
    )
    permissions = Permissions(
        listeners_slack,
        senders=settings.heynow_senders,
        platforms=settings.heynow_platforms,
        approvers=settings.mass.approvers,
    )
    lookups = Lookups(store, heynow, inputs, contacts, tracking, permissions)
    poster = Poster(
        store,
        slack_client(settings, retries=False),
        owner=owner,
        simulated=settings.heynow_simulator,
        fallback=fallback,
        mass_rate=settings.mass.rate,
        labels=labels,
        policy=PostPolicy(
            give_up_after=settings.slack_give_up_minutes * 60,
            lease_seconds=(LOOKUP_PAGES + 2) * settings.slack_timeout_seconds + 10,
        ),
    )

    history = MessageHistory(
        store, permissions, default_region=settings.heynow_default_region, wake_outbox=wake_outbox
    )
    poster.register(PostKind.HISTORY_CSV, HistoryFiles(poster, history, labels).deliver)

    def tell_unrecorded(message: Message, result: SendResult) -> None:
        with speaking(poster.texts_of(message)):
            poster.tell_directly(message, unrecorded_note(message, result.state, result.hey_id))

    queue = SendQueue(
        sending,
        owner=owner,
        lease_seconds=SEND_LEASE_CALLS * heynow_call + 30,
        unrecorded=tell_unrecorded,
    )
    wake_mass = Signal()
    mass = MassSends(
        store,
        heynow,
        permissions,
        MassPolicy(
            approvals_channel=settings.mass.approvals_channel if settings.mass.enabled else None,
            allow_self_approval=settings.mass.allow_self_approval,
            expiry_hours=settings.mass.approval_expiry_hours,
        ),
        wake_outbox=wake_outbox,
        wake_runner=wake_mass,
    )
    mass_run = MassRun(
        store,
        heynow,
        RunPolicy(
            rate=settings.mass.rate,
            max_failures=settings.mass.max_failures,
            quiet=settings.mass.quiet_hours,
            lease_seconds=SEND_LEASE_CALLS * heynow_call + 30,
            first_poll_seconds=settings.poll_seconds,
        ),
        owner=owner,
        wake_outbox=wake_outbox,
    )
    home = Home(
        store,
        permissions,
        mass_enabled=settings.mass.enabled,
        allow_self_approval=settings.mass.allow_self_approval,
        wake_outbox=wake_outbox,
    )
    poster.register(PostKind.HOME, HomePosts(poster, home).deliver)
    priority = AckPriority()
    send_loop, outbox_loop, mass_loop = (
        ClaimLoop(name, step, threads=n, idle_seconds=idle, gate=priority.step)
        for name, step, n, idle in (
            ("send", queue.step, SEND_WORKERS, 1.0),
            ("outbox", poster.step, POSTERS, 0.5),
            ("mass", mass_run.step, MASS_RUNNERS, 1.0),
        )
    )
    wake_sends.attach(send_loop.wake)
    wake_outbox.attach(outbox_loop.wake)
    wake_mass.attach(mass_loop.wake)
    health = HeyNowHealth(
        store,
        settings.team.notify_channel,
        wake_outbox=wake_outbox,
        recovery_seconds=settings.team.recovery_seconds,
    )
    heynow.observer = health
    team_posts = TeamPosts(poster, labels, settings.stuck_minutes)
    poster.register(PostKind.TEAM_POST, team_posts.post, posts=True)
    poster.register(PostKind.TEAM_UPDATE, team_posts.update)
    digest = DigestPosts(poster, zone=settings.timezone, labels=labels)
    poster.register(PostKind.DIGEST, digest.deliver, posts=True)
    periodic = [Periodic("heynow-probe", lambda: probe(health, heynow), PROBE_SECONDS)]
    periodic += team_jobs(settings, store, heynow, health, owner, wake_outbox)
    refresh = HomeRefresh(home, wake_outbox=wake_outbox)
    periodic.append(Periodic("home-refresh", refresh.run, HOME_REFRESH_SECONDS))
    periodic += digest_periodic(settings, store, wake_outbox)
    jobs = Jobs(
        periodic=periodic,
        store=store,
        owner=owner,
        loops=[send_loop, outbox_loop, mass_loop],
        status_poll=StatusPoll(heynow, tracking, lease_seconds=4 * heynow_call + 30),
        poll_seconds=settings.poll_seconds,
        queue_max_age_seconds=settings.queue_max_age_minutes * 60,
        wake_outbox=wake_outbox,
        clock=sending.clock,
        mass_run=mass_run,
        mass_poll=MassPoll(store, heynow, policy, wake_outbox=wake_outbox),
    )
    bolt = App(
        client=listeners_slack,
        signing_secret=settings.slack_signing_secret,
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="listener"),
    )
    lookup_pool = LookupPool()
    register_listeners(
        bolt,
        {
            "inputs": inputs,
            "sending": sending,
            "lookups": lookups,
            "lookup_pool": lookup_pool,
            "permissions": permissions,
            "readers": readers,
            "contacts": contacts,
            "mass": mass,
            "mass_views": MassViews(mass),
            "mass_platforms": settings.mass.platforms,
            "mass_rate": settings.mass.rate,
            "mass_labels": labels,
            "slack_api_url": settings.slack_api_url,
            "mass_max_recipients": settings.mass.max_recipients,
            "team": TeamContacts(store, wake_outbox=wake_outbox),
            "home": home,
            "history": history,
        },
    )
    return Runtime(settings, store, heynow, bolt, jobs, poster, lookup_pool, priority, simulator)


def team_jobs(
    settings: Settings,
    store: Store,
    heynow: HeyNowClient,
    health: HeyNowHealth,
    owner: str,
    wake_outbox: Signal,
) -> list[Periodic]:
    """With HEYNOW_NOTIFY_CHANNEL: new contacts from the agendas, and problems, once each."""
    channel = settings.team.notify_channel
    if channel is None:
        return []
    watched = [p.ref for p in (*settings.heynow_platforms, *settings.mass.platforms)]
    if settings.heynow_default_platform is not None:
        watched.append(settings.heynow_default_platform)
    watch = AgendaWatch(
        store,
        heynow,
        list(dict.fromkeys(watched)),
        channel=channel,
        every_seconds=settings.team.agenda_poll_minutes * 60,
        owner=owner,
        wake_outbox=wake_outbox,
    )
    alerts = TeamAlerts(
        store,
        health,
        channel=channel,
        stuck_after=settings.stuck_minutes * 60,
        wake_outbox=wake_outbox,
    )
    return [
        Periodic("agenda-watch", watch.tick, max(1.0, min(AGENDA_LOOK_SECONDS, watch.every))),
        Periodic("team-alerts", alerts.tick, ALERTS_SECONDS),
    ]
