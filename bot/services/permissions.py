"""Who may do what: which platforms this workspace uses, who may send, who may read a message.

HEYNOW_SENDERS may name user groups; their members come from Slack (usergroups.users.list,
Tier 2: cached for a few minutes). A message is shown to its sender, and to anyone when it was
posted in a public channel (conversations.info, cached): never to others by trying numbers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import AllowedPlatform
from bot.domain.records import Message
from bot.heynow import PlatformRef

logger = logging.getLogger(__name__)

GROUP_SECONDS = 300
CHANNEL_SECONDS = 300


class Permissions:
    def __init__(
        self,
        slack: WebClient,
        *,
        senders: tuple[str, ...],
        platforms: tuple[AllowedPlatform, ...],
        approvers: tuple[str, ...] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slack = slack
        self.senders = senders
        self.platforms = platforms
        self.approvers = approvers  # HEYNOW_APPROVERS; empty: nobody approves mass sends
        self._members: TTLCache[str, frozenset[str]] = TTLCache(64, GROUP_SECONDS, timer=clock)
        self._last_members: dict[str, frozenset[str]] = {}
        self._public: TTLCache[str, bool] = TTLCache(1024, CHANNEL_SECONDS, timer=clock)
        self._lock = threading.Lock()

    # -- platforms ------------------------------------------------------------------------

    def platform_allowed(self, ref: PlatformRef) -> bool:
        return not self.platforms or any(p.ref == ref for p in self.platforms)

    def label(self, ref: PlatformRef) -> str:
        """The name people know a platform by (HEYNOW_PLATFORMS' label, or channel and id)."""
        return next((p.label for p in self.platforms if p.ref == ref), ref.label)

    # -- senders --------------------------------------------------------------------------

    def may_send(self, user_id: str) -> bool:
        return not self.senders or self._named(self.senders, user_id)

    def may_approve(self, user_id: str) -> bool:
        """An approver of mass sends (HEYNOW_APPROVERS); with none set, nobody is."""
        return self._named(self.approvers, user_id)

    def _named(self, ids: tuple[str, ...], user_id: str) -> bool:
        """`user_id` is one of `ids`, or a member of one of its user groups (`S…`)."""
        if user_id in ids:
            return True
        return any(user_id in self._group_members(g) for g in ids if g.startswith("S"))

    def _group_members(self, group: str) -> frozenset[str]:
        with self._lock:
            cached = self._members.get(group)
        if cached is not None:
            return cached
        try:
            users = self.slack.usergroups_users_list(usergroup=group).get("users") or []
        except SlackApiError as exc:
            # Slack failing must not lock the team out: the last members known are kept.
            logger.warning("Could not read the members of %s: %s", group, exc.response.get("error"))
            with self._lock:
                return self._last_members.get(group, frozenset())
        members = frozenset(str(u) for u in users)
        with self._lock:
            self._members[group] = members
            self._last_members[group] = members
        return members

    # -- reading --------------------------------------------------------------------------

    def may_see(self, message: Message, user_id: str) -> bool:
        """Its sender, or anyone when it was posted in a public channel."""
        if message.slack_user == user_id:
            return True
        channel = message.posted_channel or message.slack_channel
        return self._is_public(channel)

    def _is_public(self, channel: str) -> bool:
        with self._lock:
            cached = self._public.get(channel)
        if cached is not None:
            return cached
        try:
            info = self.slack.conversations_info(channel=channel).get("channel") or {}
        except SlackApiError as exc:
            logger.info("Cannot tell whether %s is public: %s", channel, exc.response.get("error"))
            return False  # when in doubt, private
        public = bool(info.get("is_channel")) and not any(
            info.get(flag) for flag in ("is_private", "is_im", "is_mpim", "is_group")
        )
        with self._lock:
            self._public[channel] = public
        return public
