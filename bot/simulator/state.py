"""The simulator's world: users, their platforms, agendas, tokens and the messages sent.

The messages live in memory, and, given a state file, also in that file, so that a restarted
simulator still knows them (the embedded one keeps `<DATABASE_PATH>.simulator.json`). The file
is rewritten whole at each change through a temporary file and a rename, so that a kill -9
mid-write leaves the last whole file; it holds only the newest `keep_messages` messages.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

STATUS_PATH = ("?", "RS", "RU", "LU")
# Messages a state file holds; the oldest beyond are forgotten. Each change rewrites the file:
# at 2000 messages that is under a megabyte, some 20 ms.
KEEP_MESSAGES = 2000
STATE_VERSION = 1


class SimError(Exception):
    """An HTTP error answer of the simulated API."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Platform:
    channel: int
    platform_id: str
    name: str
    validates_contacts: bool
    alternate_bot: str | None
    contacts: dict[str, dict[str, Any]]  # client_id -> config entry


@dataclass
class SimMessage:
    id: str
    channel: int
    platform_id: str  # the platform asked for
    sent_via: str  # the platform that really sent it (the alternate bot, sometimes)
    client_id: str
    text: str
    kind: str  # message | masiveMessage
    created: float
    last_status: int  # index in STATUS_PATH that this message can reach at most
    forced_status: str | None = None


@dataclass
class SimulatorState:
    """Thread-safe state behind the simulated API."""

    config: dict[str, Any]
    clock: Callable[[], float] = time.time
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    messages: dict[str, SimMessage] = field(default_factory=dict)  # oldest first
    lock: threading.Lock = field(default_factory=threading.Lock)
    state_file: str | Path | None = None
    keep_messages: int = KEEP_MESSAGES

    def __post_init__(self) -> None:
        self._save_lock = threading.Lock()
        self._file = Path(self.state_file) if self.state_file is not None else None
        if self._file is not None:
            for message in load_messages(self._file)[-self.keep_messages :]:
                self.messages[message.id] = message
        self.step = float(self.config.get("status_step_seconds", 5))
        self.token_ttl = float(self.config.get("token_ttl_seconds", 86400))
        self.users = {u["name"]: u for u in self.config["users"]}
        self.platforms = {
            (p["channel"], str(p["platform_id"])): Platform(
                channel=p["channel"],
                platform_id=str(p["platform_id"]),
                name=p.get("name", str(p["platform_id"])),
                validates_contacts=bool(p.get("validates_contacts", False)),
                alternate_bot=p.get("alternate_bot"),
                contacts={str(c["client_id"]): c for c in p.get("contacts", [])},
            )
            for p in self.config["platforms"]
        }
        self.unknown_clients = self.config.get("unknown_clients", {})

    @property
    def demo_user(self) -> tuple[str, str]:
        first = self.config["users"][0]
        return first["name"], first["password"]

    # -- auth -----------------------------------------------------------------------------

    def login(self, name: Any, password: Any) -> str:
        user = self.users.get(name) if isinstance(name, str) else None
        if user is None or user["password"] != password:
            raise SimError(401, "Credenciales no válidas")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (name, self.clock() + self.token_ttl)
        return token

    def expire_tokens(self) -> int:
        with self.lock:
            for token, (user, _) in list(self.tokens.items()):
                self.tokens[token] = (user, 0.0)
            return len(self.tokens)

    def user_for(self, authorization: str | None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        with self.lock:
            entry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if entry is None or entry[1] <= self.clock():
            raise SimError(401, "Token no valido o autenticación no realizada")
        return entry[0]

    def platform_for(self, user: str, channel: int, platform_id: str) -> Platform:
        if f"{channel}:{platform_id}" not in self.users[user]["platforms"]:
            raise SimError(403, "Permisos insuficientes")
        platform = self.platforms.get((channel, platform_id))
        if platform is None:
            raise SimError(403, "Permisos insuficientes")
        return platform

    # -- messages -------------------------------------------------------------------------

    def send(
        self, platform: Platform, client_id: str, text: str, contact_validation: bool
    ) -> SimMessage:
        """The vendor document's contactValidation rules, row by row."""
        if platform.channel == 4:
            raise SimError(400, "channelId: valores permitidos 1, 2, 3")
        in_agenda = client_id in platform.contacts
        via = platform.platform_id
        if platform.validates_contacts:
            if not in_agenda and platform.alternate_bot and not contact_validation:
                via = platform.alternate_bot
            elif not in_agenda:
                raise SimError(404, "El clientId no pertenece a la agenda del platformId")
        elif contact_validation and not in_agenda:
            raise SimError(404, "El clientId no pertenece a la agenda del platformId")
        return self._record(platform, via, client_id, text, "message")

    def mass_send(self, platform: Platform, client_id: str, text: str) -> SimMessage:
        if platform.validates_contacts:
            raise SimError(403, "El canal valida contactos: envíos masivos no permitidos")
        return self._record(platform, platform.platform_id, client_id, text, "masiveMessage")

    def _record(
        self, platform: Platform, via: str, client_id: str, text: str, kind: str
    ) -> SimMessage:
        if not isinstance(text, str) or not text.strip():
            raise SimError(400, "text requerido")
        behaviour = {**self.unknown_clients, **platform.contacts.get(client_id, {})}
        last = (
            1
            if behaviour.get("reachable") is False
            else 2
            if behaviour.get("read_receipts") is False
            else 3
        )
        message = SimMessage(
            id=str(uuid.uuid4()),
            channel=platform.channel,
            platform_id=platform.platform_id,
            sent_via=via,
            client_id=client_id,
            text=text,
            kind=kind,
            created=self.clock(),
            last_status=last,
        )
        with self.lock:
            self.messages[message.id] = message
            while len(self.messages) > self.keep_messages:
                del self.messages[next(iter(self.messages))]
        self._save()
        return message

    def status(self, platform: Platform, message_id: str) -> str:
        with self.lock:
            message = self.messages.get(message_id)
        if (
            message is None
            or message.channel != platform.channel
            or platform.platform_id
            not in (
                message.platform_id,
                message.sent_via,
            )
        ):
            raise SimError(404, "Mensaje no encontrado")
        if message.forced_status:
            return message.forced_status
        steps = int((self.clock() - message.created) / self.step) if self.step > 0 else 3
        return STATUS_PATH[min(steps, message.last_status)]

    def force_status(self, message_id: str, status: str) -> None:
        with self.lock:
            if message_id not in self.messages or status not in STATUS_PATH:
                raise SimError(404, "Mensaje no encontrado")
            self.messages[message_id].forced_status = status
        self._save()

    def _save(self) -> None:
        """Write the messages to the state file, if there is one. A write that fails (a full
        disk) is logged, and the simulator goes on from memory: the next change writes all."""
        if self._file is None:
            return
        with self._save_lock:  # one write at a time, each of a snapshot newer than the last
            with self.lock:
                rows = [dict(vars(m)) for m in self.messages.values()]  # (asdict: 10x slower)
            try:
                write_whole(self._file, {"version": STATE_VERSION, "messages": rows})
            except OSError as exc:
                logger.warning(
                    "Could not write the simulator's messages to %s: %s", self._file, exc
                )

    # -- agenda ---------------------------------------------------------------------------

    def contact(self, platform: Platform, client_id: str) -> dict[str, Any]:
        entry = platform.contacts.get(client_id)
        if entry is None:
            raise SimError(404, "Contacto no encontrado")
        return contact_document(platform, entry)

    def agenda(self, platform: Platform) -> list[dict[str, Any]]:
        with self.lock:
            entries = list(platform.contacts.values())
        return [contact_document(platform, entry) for entry in entries]

    def add_contact(self, channel: int, platform_id: str, entry: dict[str, Any]) -> None:
        """A client writes to a platform for the first time: they join its agenda."""
        platform = self.platforms.get((channel, platform_id))
        if platform is None or not entry.get("client_id"):
            raise SimError(404, "Plataforma no encontrada")
        with self.lock:
            platform.contacts[str(entry["client_id"])] = entry


def contact_document(platform: Platform, entry: dict[str, Any]) -> dict[str, Any]:
    """A contact shaped like the vendor document's example (section 8)."""
    client_id = str(entry["client_id"])
    digest = hashlib.sha1(f"{platform.platform_id}/{client_id}".encode()).hexdigest()[:24]
    return {
        "_id": digest,
        "phones": [client_id] if platform.channel == 1 else [],
        "first_name": entry.get("first_name", client_id),
        "last_name": entry.get("last_name"),
        "profile_pic": entry.get("profile_pic"),
        "locale": entry.get("locale"),
        "timezone": entry.get("timezone"),
        "gender": entry.get("gender"),
        "channels": [
            {
                "channel": platform.channel,
                "platformId": platform.platform_id,
                "clientId": client_id,
                "metaData": {},
            }
        ],
    }


class StateFileError(ValueError):
    """The simulator's state file cannot be read; the message names it and what to do."""


def load_messages(path: Path) -> list[SimMessage]:
    """The messages of a state file, oldest first; none when it does not exist yet. What a
    kill -9 mid-write left behind (a temporary file) is removed: the file itself is whole."""
    for leftover in path.parent.glob(f"{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise StateFileError(_unusable(path, f"cannot be read as JSON ({exc})")) from None
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        raise StateFileError(_unusable(path, f"is not a version {STATE_VERSION} state file"))
    names = {f.name for f in fields(SimMessage)}
    rows = data.get("messages")
    if not isinstance(rows, list) or not all(
        isinstance(row, dict) and set(row) == names for row in rows
    ):
        raise StateFileError(_unusable(path, "holds messages this version cannot read"))
    return sorted((SimMessage(**row) for row in rows), key=lambda m: m.created)


def _unusable(path: Path, problem: str) -> str:
    return f"{path}: {problem}; delete it to start the simulator without its past messages"


def write_whole(path: Path, data: Any) -> None:
    """Write `data` as JSON to `path` whole or not at all, readable by its owner only: into a
    temporary file beside it (0600), flushed to disk, then renamed over it."""
    fd, temporary = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(json.dumps(data, separators=(",", ":")).encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class WorldError(ValueError):
    """The simulator's JSON world cannot be used; the message says where it is wrong."""


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """The JSON world of the simulator; the built-in demo when no path is given."""
    if path is None:
        return json.loads(resources.files("bot.simulator").joinpath("demo.json").read_text("utf-8"))
    try:
        world = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise WorldError(f"{path} cannot be read as JSON: {exc}") from None
    check_world(world)
    return world


def check_world(world: Any) -> None:
    """The shape SimulatorState relies on, checked once with a message a person can act on."""
    if not isinstance(world, dict) or not world.get("users") or not world.get("platforms"):
        raise WorldError(
            'a world needs "users" and "platforms" lists (see bot/simulator/demo.json)'
        )
    for user in world["users"]:
        if not {"name", "password", "platforms"} <= set(user):
            raise WorldError(f'each user needs "name", "password" and "platforms": {user!r}')
    for platform in world["platforms"]:
        if not {"channel", "platform_id"} <= set(platform) or platform["channel"] not in (
            1,
            2,
            3,
            4,
        ):
            raise WorldError(f'each platform needs "channel" (1-4) and "platform_id": {platform!r}')
        if any("client_id" not in contact for contact in platform.get("contacts", [])):
            raise WorldError(
                f'each contact needs a "client_id" (platform {platform["platform_id"]})'
            )
