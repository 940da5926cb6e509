"""Who reads what the bot shows in Slack: one function, ``AudienceResolver.reading``, for every
place the bot posts or shows an answer (the policy file itself is ``bot.audience_policy``).

The kinds of place, and their audience (each rule fails closed):

- ``private``: shown to the asker alone (an ephemeral ``/accord`` answer, the Home tab): the
  asker's own audience. A person's own audience is their ``users`` entry; without one, the
  highest grant among the listed user groups they belong to (caveats of all of them); else
  ``default``.
- ``bot_dm``: the asker's own DM with the bot (Slack delivered the message as ``im``, or the
  conversation's members are exactly the asker and the bot): the asker's own audience, never
  above ``shared_default`` when the DM is shared with another organisation.
- Any other conversation (``channel``, ``people_dm``: a DM between people, ``group_dm``,
  ``external``: shared with another organisation): the lowest of the conversation's own entry
  and the clearances of everyone in it (``conversations.members``, the bot itself left out) and
  the asker; caveats are those all of them hold. The own entry is its ``channels`` line; an
  unlisted channel's is ``default`` (an unlisted DM or group DM between people has none: its
  members decide). For a conversation shared with another organisation it is never above
  ``shared_default``: a listed line above it is capped (warned at start, file:line, and named
  in the audit row's reason).
- ``unknown``: Slack could not describe the conversation or list its members: the bottom of the
  ladder, and not *established*: nothing is shared there and no ``response_url`` fallback posts
  for everyone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accord.access.audiences import Audience, meet
from accord.access.markings import Rules
from bot.audience_policy import Grant, Policy

if TYPE_CHECKING:
    from slack_sdk import WebClient


__all__ = ["AudienceResolver", "Grant", "KINDS", "Policy", "Reading", "is_dm"]
log = logging.getLogger(__name__)
KINDS = ("private", "bot_dm", "channel", "people_dm", "group_dm", "external", "unknown")
_MEMBER_PAGE = 1000


@dataclass(frozen=True)
class Reading:
    """Who reads what is shown in one place: its kind (``KINDS``), the audience, and whether
    Slack established it (False for ``unknown``: the audience is then the bottom level)."""

    kind: str
    audience: Audience
    established: bool = True


class AudienceResolver:
    """Resolves audiences through the policy and Slack's Web API (cached for ``ttl`` seconds).

    ``client`` needs ``auth_test``, ``conversations_info``, ``conversations_members`` and
    ``usergroups_users_list`` (slack_sdk WebClient). Failed calls are not cached.
    """

    def __init__(
        self,
        policy: Policy,
        rules: Rules,
        client: WebClient,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.rules = rules
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._info: dict[str, tuple[float, dict[str, Any]]] = {}
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._groups: dict[str, tuple[float, frozenset[str] | None]] = {}
        self._bot_user: str | None = None

    # --- the one function -------------------------------------------------------------------
    def reading(
        self,
        user_id: str | None,
        channel_id: str | None = None,
        *,
        private: bool = False,
        im_event: bool = False,
    ) -> Reading:
        """Who reads what the bot shows ``user_id`` in ``channel_id``.

        ``private``: shown to the asker alone (ephemeral, Home). ``im_event``: Slack delivered
        the message as the bot's own DM (event ``channel_type`` ``im``, an assistant thread),
        which only happens in a DM between the asker and the bot. Never raises.
        """
        if private:
            return Reading("private", self.user(user_id))
        if not channel_id:
            return self._unknown(channel_id, "no conversation")
        info = self._describe(channel_id)
        if im_event:
            return self._bot_dm(channel_id, user_id, info)
        if info is None:
            return self._unknown(channel_id, "Slack could not describe the conversation")
        members = self._member_ids(channel_id)
        if members is None:
            return self._unknown(channel_id, "Slack could not list its members")
        bot = self._bot()
        people = members - {bot} if bot else members
        if info.get("is_im") and user_id and bot in members and people == {user_id}:
            return self._bot_dm(channel_id, user_id, info)
        if not people:
            return self._unknown(channel_id, "Slack listed no members")
        external = _is_external(info)
        kind = (
            "people_dm"
            if info.get("is_im")
            else "group_dm"
            if info.get("is_mpim")
            else "external"
            if external
            else "channel"
        )
        entry = self._entry(channel_id, external, kind in ("people_dm", "group_dm"))
        readers = sorted(people | ({user_id} if user_id else set()))
        levels = [(member, self.user(member)) for member in readers]
        audience = entry or levels[0][1]
        for _, own in levels:
            audience = meet(self.rules, audience, own)
        floor = [m for m, own in levels if own.clearance == audience.clearance]
        reason = (
            f"{kind} {channel_id}: lowest of "
            f"{f'its entry ({entry.reason}) and ' if entry else ''}its {len(readers)} "
            f"member(s); at {audience.clearance}: {', '.join(floor[:3]) or 'the entry'}"
            f"{' ...' if len(floor) > 3 else ''}"
        )
        return Reading(kind, Audience(audience.clearance, audience.caveats, reason))

    def user(self, user_id: str | None) -> Audience:
        """A person's own audience: their entry, else their best user group, else default."""
        if not user_id:
            return Audience(self.rules.bottom, frozenset(), "unknown user")
        if user_id in self.policy.users:
            return self.policy.users[user_id].audience(f"user {user_id}")
        grants = [
            (gid, g)
            for gid, g in self.policy.usergroups.items()
            if user_id in self._group_members(gid)
        ]
        if grants:
            best = max((g for _, g in grants), key=lambda g: self.rules.rank(g.clearance))
            caveats = frozenset().union(*(g.caveats for _, g in grants))
            names = ", ".join(gid for gid, _ in grants)
            return Audience(best.clearance, caveats, f"user {user_id} via user groups {names}")
        return self.policy.default.audience(f"user {user_id}: default")

    def policy_warnings(self) -> list[str]:
        """One line per listed channel that Slack says is shared with another organisation and
        that the policy lists above ``shared_default`` (it is capped); logged as warnings."""
        out = []
        shared = self.policy.shared_default
        for cid, grant in sorted(self.policy.channels.items()):
            if self.rules.rank(grant.clearance) <= self.rules.rank(shared.clearance):
                continue
            info = self._describe(cid, quiet=True)
            if info is not None and _is_external(info):
                out.append(
                    f"audience policy {grant.where}: channel {cid} is shared with another "
                    f"organisation; its {grant.clearance} is capped at shared_default "
                    f"{shared.clearance} ({shared.where})"
                )
        for line in out:
            log.warning("%s", line)
        return out

    # --- kinds --------------------------------------------------------------------------------
    def _bot_dm(self, channel_id: str, user_id: str | None, info: dict[str, Any] | None) -> Reading:
        own = self.user(user_id)
        if info is None or _is_external(info):
            why = (
                "shared with another organisation"
                if info is not None
                else "Slack could not say whether it is shared: counted as shared"
            )
            return Reading(
                "bot_dm",
                meet(
                    self.rules, own, self.policy.shared_default.audience(f"DM {channel_id}: {why}")
                ),
            )
        return Reading("bot_dm", Audience(own.clearance, own.caveats, f"DM: {own.reason}"))

    def _unknown(self, channel_id: str | None, why: str) -> Reading:
        return Reading(
            "unknown",
            Audience(self.rules.bottom, frozenset(), f"conversation {channel_id}: {why}"),
            False,
        )

    def _entry(self, channel_id: str, external: bool, people_only: bool) -> Audience | None:
        """The conversation's own entry: its policy line, else ``default`` for a channel (a DM
        or group DM between people has none: its members decide); for a conversation shared
        with another organisation never above ``shared_default``."""
        shared = self.policy.shared_default
        grant = self.policy.channels.get(channel_id)
        if grant is None:
            if external:
                return shared.audience(f"{channel_id}: shared with another organisation")
            return None if people_only else self.policy.default.audience(f"channel {channel_id}")
        if external and self.rules.rank(grant.clearance) > self.rules.rank(shared.clearance):
            return Audience(
                shared.clearance,
                grant.caveats & shared.caveats,
                f"channel {channel_id} ({grant.where}) capped at shared_default "
                f"({shared.where}): shared with another organisation",
            )
        return grant.audience(f"channel {channel_id}")

    # --- Slack --------------------------------------------------------------------------------
    def _describe(self, channel_id: str, quiet: bool = False) -> dict[str, Any] | None:
        """``conversations.info`` (cached), None when Slack cannot be asked."""
        now = self.clock()
        with self._lock:
            hit = self._info.get(channel_id)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        try:
            info = dict(self.client.conversations_info(channel=channel_id).get("channel") or {})
        except Exception:
            log.log(
                logging.INFO if quiet else logging.WARNING,
                "conversations.info failed for %s: its audience is not established",
                channel_id,
                exc_info=not quiet,
            )
            return None
        with self._lock:
            self._info[channel_id] = (now, info)
        return info

    def _member_ids(self, channel_id: str) -> frozenset[str] | None:
        """Everyone in the conversation (``conversations.members``, every page; cached), None
        when Slack cannot list them."""
        now = self.clock()
        with self._lock:
            hit = self._members.get(channel_id)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        members: set[str] = set()
        cursor = None
        try:
            while True:
                kwargs: dict[str, Any] = {"channel": channel_id, "limit": _MEMBER_PAGE}
                if cursor:
                    kwargs["cursor"] = cursor
                resp = self.client.conversations_members(**kwargs)
                members.update(str(m) for m in resp.get("members") or [])
                cursor = (resp.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except Exception:
            log.warning(
                "conversations.members failed for %s: its audience is not established",
                channel_id,
                exc_info=True,
            )
            return None
        found = frozenset(members)
        with self._lock:
            self._members[channel_id] = (now, found)
        return found

    def _bot(self) -> str | None:
        """The bot's own user id (``auth.test``, asked once it answers)."""
        if self._bot_user is None:
            try:
                self._bot_user = str(self.client.auth_test().get("user_id") or "") or None
            except Exception:
                log.warning(
                    "auth.test failed: the bot counts as a member of conversations", exc_info=True
                )
        return self._bot_user

    def _group_members(self, group_id: str) -> frozenset[str]:
        now = self.clock()
        with self._lock:
            hit = self._groups.get(group_id)
            if hit is not None and now - hit[0] < self.ttl and hit[1] is not None:
                return hit[1]
        try:
            resp = self.client.usergroups_users_list(usergroup=group_id)
            members: frozenset[str] | None = frozenset(resp.get("users") or [])
        except Exception:
            log.warning(
                "could not list the members of user group %s: its grant is not applied",
                group_id,
                exc_info=True,
            )
            members = None
        with self._lock:
            self._groups[group_id] = (now, members)
        return members or frozenset()


def _is_external(info: dict[str, Any]) -> bool:
    """Whether Slack says the conversation is shared with another organisation."""
    return bool(
        info.get("is_ext_shared")
        or info.get("is_pending_ext_shared")
        or info.get("is_shared")
        and not info.get("is_org_shared")
    )


def is_dm(channel_type: str | None) -> bool:
    """Whether Slack delivered an event as a message in the bot's own DM (``channel_type`` "im").
    A ``D…`` id alone proves nothing: a DM between two people has one too."""
    return channel_type == "im"
