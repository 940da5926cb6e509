"""Who reads an answer in Slack: the audience policy file, and the audience of each conversation.

The policy (``ACCORD_AUDIENCE_POLICY``, YAML) gives channels, users and Slack user groups a
clearance and caveats::

    default: OFFICIAL            # a channel or user not listed below
    shared_default: UNMARKED     # a Slack Connect conversation not listed (never above default)
    channels:
      C0JWCSEC1: {clearance: RESTRICTED, caveats: [REL TO SGP]}
      C0PRESS01: UNMARKED
    users:
      U0DIRECTOR: {clearance: SECRET, caveats: [AUSTEO]}
    usergroups:
      S0ANALYSTS: CONFIDENTIAL

Rules (each fails closed):

- A person's own audience is their ``users`` entry; without one, the highest grant among the
  listed user groups they belong to (caveats of all of them); else ``default``.
- A channel's audience is its ``channels`` entry; without one, ``shared_default`` when Slack says
  the conversation is shared with another organisation (``conversations.info``: Slack Connect),
  else ``default``. When Slack cannot be asked, the channel counts as shared.
- In a channel or a thread, everyone there reads the answer: the audience is the channel's, never
  more than the asker's own. In a DM it is the asker's (never more than ``shared_default`` when
  the DM is shared with another organisation). A ``/accord`` answer is shown to the asker alone,
  so it uses the asker's own audience; sharing it re-checks every document against the channel.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from accord.access import Audience, meet, parse_caveats
from accord.errors import PolicyError
from accord.markings import Rules

log = logging.getLogger(__name__)
_SECTIONS = ("channels", "users", "usergroups")
_TOP_KEYS = ("default", "shared_default", *_SECTIONS)
_GRANT_KEYS = ("clearance", "caveats", "note")
_ID = {"channels": re.compile(r"^[CGD][A-Z0-9]{2,}$"), "users": re.compile(r"^[UW][A-Z0-9]{2,}$"),
       "usergroups": re.compile(r"^S[A-Z0-9]{2,}$")}


@dataclass(frozen=True)
class Grant:
    """A clearance and caveats granted by one line of the policy."""

    clearance: str
    caveats: frozenset[str]
    where: str  # "policy.yaml:12" or "default setting"

    def audience(self, reason: str) -> Audience:
        return Audience(self.clearance, self.caveats, f"{reason} ({self.where})")


@dataclass
class Policy:
    default: Grant
    shared_default: Grant
    channels: dict[str, Grant]
    users: dict[str, Grant]
    usergroups: dict[str, Grant]
    source: str

    @classmethod
    def default_only(cls, rules: Rules, clearance: str, caveats: frozenset[str] = frozenset()
                     ) -> Policy:
        """No policy file: everyone gets ``clearance``; Slack Connect the bottom of the ladder."""
        return cls(Grant(clearance, caveats, "ACCORD_CLEARANCE"),
                   Grant(rules.bottom, frozenset(), "no policy file"), {}, {}, {},
                   "ACCORD_CLEARANCE")

    @classmethod
    def load(cls, path: Path, rules: Rules) -> Policy:
        """Read and check a policy file. Raises PolicyError naming the file, line and reason."""
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"audience policy {path}: cannot be read "
                              f"({exc.strerror or exc})") from exc
        except UnicodeDecodeError as exc:
            raise PolicyError(f"audience policy {path}: not UTF-8 text") from exc
        try:
            root = yaml.compose(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f":{mark.line + 1}" if mark is not None else ""
            raise PolicyError(f"audience policy {path}{at}: invalid YAML "
                              f"({getattr(exc, 'problem', None) or exc})") from exc
        return _Reader(path, rules).policy(root)


class _Reader:
    def __init__(self, path: Path, rules: Rules) -> None:
        self.path = path
        self.rules = rules

    def fail(self, node: Any, message: str) -> PolicyError:
        line = node.start_mark.line + 1 if node is not None else 1
        return PolicyError(f"audience policy {self.path}:{line}: {message}")

    def where(self, node: Any) -> str:
        return f"{self.path.name}:{node.start_mark.line + 1}"

    def policy(self, root: Any) -> Policy:
        if root is None:
            raise PolicyError(f"audience policy {self.path}: the file is empty")
        if not isinstance(root, yaml.MappingNode):
            raise self.fail(root, "expected a mapping with default, shared_default, channels, "
                            "users and usergroups")
        seen: dict[str, Any] = {}
        for key_node, value_node in root.value:
            key = str(key_node.value)
            if key not in _TOP_KEYS:
                raise self.fail(key_node, f"unknown key {key!r}; use {', '.join(_TOP_KEYS)}")
            if key in seen:
                raise self.fail(key_node, f"{key!r} is given twice")
            seen[key] = value_node
        if "default" not in seen:
            raise self.fail(root, "'default' is required: the clearance of whatever is not "
                            "listed (the lowest level your workspace may see)")
        default = self.grant(seen["default"])
        shared = (self.grant(seen["shared_default"]) if "shared_default" in seen
                  else Grant(self.rules.bottom, frozenset(), "bottom of the ladder"))
        if self.rules.rank(shared.clearance) > self.rules.rank(default.clearance):
            raise self.fail(seen["shared_default"], f"shared_default ({shared.clearance}) may "
                            f"not be above default ({default.clearance})")
        sections: dict[str, dict[str, Grant]] = {s: {} for s in _SECTIONS}
        for name in _SECTIONS:
            node = seen.get(name)
            if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~",
                                                                                      "null")):
                continue
            if not isinstance(node, yaml.MappingNode):
                raise self.fail(node, f"{name!r} must be a mapping of Slack ids to clearances")
            for id_node, grant_node in node.value:
                sid = str(id_node.value).strip()
                if not _ID[name].match(sid):
                    raise self.fail(id_node, f"{sid!r} does not look like a Slack id for "
                                    f"{name} (e.g. {_example(name)})")
                if sid in sections[name]:
                    raise self.fail(id_node, f"{sid} is listed twice under {name}")
                sections[name][sid] = self.grant(grant_node)
        return Policy(default, shared, sections["channels"], sections["users"],
                      sections["usergroups"], str(self.path))

    def grant(self, node: Any) -> Grant:
        if isinstance(node, yaml.ScalarNode):
            return Grant(self.clearance(node, node.value), frozenset(), self.where(node))
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, "expected a clearance or {clearance: ..., caveats: [...]}")
        values: dict[str, Any] = {}
        for k, v in node.value:
            if k.value not in _GRANT_KEYS:
                raise self.fail(k, f"unknown key {k.value!r}; use {', '.join(_GRANT_KEYS)}")
            values[k.value] = v
        if "clearance" not in values:
            raise self.fail(node, "'clearance' is required")
        level = self.clearance(values["clearance"], values["clearance"].value)
        caveats: frozenset[str] = frozenset()
        if "caveats" in values:
            cnode = values["caveats"]
            if isinstance(cnode, yaml.SequenceNode):
                items = [str(i.value) for i in cnode.value]
            elif isinstance(cnode, yaml.ScalarNode):
                items = [str(cnode.value)] if cnode.value else []
            else:
                raise self.fail(cnode, "caveats must be a list, e.g. [AUSTEO, REL TO SGP]")
            caveats = parse_caveats(self.rules, items)
        return Grant(level, caveats, self.where(node))

    def clearance(self, node: Any, value: Any) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, "a clearance is one word or phrase, e.g. RESTRICTED")
        level = self.rules.level_named(str(value))
        if level is None:
            raise self.fail(node, f"unknown clearance {value!r}; use one of "
                            f"{', '.join(self.rules.ladder)}")
        return level


def _example(section: str) -> str:
    return {"channels": "C0123ABCD", "users": "U0123ABCD", "usergroups": "S0123ABCD"}[section]


class AudienceResolver:
    """Resolves audiences through the policy and Slack's Web API (cached for ``ttl`` seconds).

    ``client`` needs ``conversations_info`` and ``usergroups_users_list`` (slack_sdk WebClient).
    """

    def __init__(self, policy: Policy, rules: Rules, client: Any, ttl: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.rules = rules
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._shared: dict[str, tuple[float, bool]] = {}
        self._members: dict[str, tuple[float, frozenset[str] | None]] = {}

    # --- people -----------------------------------------------------------------------------
    def user(self, user_id: str | None) -> Audience:
        """A person's own audience: their entry, else their best user group, else default."""
        if not user_id:
            return self.policy.shared_default.audience("unknown user")
        if user_id in self.policy.users:
            return self.policy.users[user_id].audience(f"user {user_id}")
        grants = [(gid, g) for gid, g in self.policy.usergroups.items()
                  if user_id in self._group_members(gid)]
        if grants:
            best = max((g for _, g in grants), key=lambda g: self.rules.rank(g.clearance))
            caveats = frozenset().union(*(g.caveats for _, g in grants))
            names = ", ".join(gid for gid, _ in grants)
            return Audience(best.clearance, caveats, f"user {user_id} via user groups {names}")
        return self.policy.default.audience(f"user {user_id}: default")

    def _group_members(self, group_id: str) -> frozenset[str]:
        now = self.clock()
        with self._lock:
            hit = self._members.get(group_id)
            if hit is not None and now - hit[0] < self.ttl and hit[1] is not None:
                return hit[1]
        try:
            resp = self.client.usergroups_users_list(usergroup=group_id)
            members: frozenset[str] | None = frozenset(resp.get("users") or [])
        except Exception:
            log.warning("could not list the members of user group %s: its grant is not applied",
                        group_id, exc_info=True)
            members = None
        with self._lock:
            self._members[group_id] = (now, members)
        return members or frozenset()

    # --- conversations ------------------------------------------------------------------------
    def conversation(self, channel_id: str | None) -> Audience:
        """A channel's own audience: its entry, else the shared or the plain default."""
        if channel_id and channel_id in self.policy.channels:
            return self.policy.channels[channel_id].audience(f"channel {channel_id}")
        if not channel_id or self.is_shared(channel_id):
            return self.policy.shared_default.audience(
                f"conversation {channel_id}: shared with another organisation")
        return self.policy.default.audience(f"channel {channel_id}: default")

    def is_shared(self, channel_id: str) -> bool:
        """Whether Slack says the conversation is shared with another organisation. When Slack
        cannot be asked, it counts as shared (fail closed)."""
        shared = self._shared_says(channel_id)
        return True if shared is None else shared

    def knows(self, channel_id: str | None) -> bool:
        """Whether the channel's audience is known: listed in the policy, or described by Slack
        (``conversations.info`` answered; it does not for a channel the bot is not in)."""
        if not channel_id:
            return False
        return channel_id in self.policy.channels or self._shared_says(channel_id) is not None

    def _shared_says(self, channel_id: str) -> bool | None:
        """Slack's word on whether the conversation is shared (cached), None when it cannot be
        asked."""
        now = self.clock()
        with self._lock:
            hit = self._shared.get(channel_id)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        try:
            info = self.client.conversations_info(channel=channel_id).get("channel") or {}
            shared = bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared")
                          or info.get("is_shared") and not info.get("is_org_shared"))
            with self._lock:
                self._shared[channel_id] = (now, shared)
        except Exception:
            log.warning("conversations.info failed for %s: treating it as shared with another "
                        "organisation", channel_id, exc_info=True)
            return None  # not cached: the next question asks again
        return shared

    # --- who reads an answer ------------------------------------------------------------------
    def for_thread(self, channel_id: str, user_id: str | None, is_dm: bool) -> Audience:
        """Everyone in the conversation reads an answer posted there."""
        own = self.user(user_id)
        if is_dm:
            if self.is_shared(channel_id) and channel_id not in self.policy.channels:
                return meet(self.rules, own, self.policy.shared_default.audience(
                    f"DM {channel_id}: shared with another organisation"))
            return Audience(own.clearance, own.caveats, f"DM: {own.reason}")
        return meet(self.rules, self.conversation(channel_id), own)

    def private(self, user_id: str | None) -> Audience:
        """An answer only the asker sees (``/accord``): the asker's own audience."""
        return self.user(user_id)


def is_dm(channel_id: str | None, channel_type: str | None = None) -> bool:
    """Whether a conversation is a direct message with the bot."""
    return channel_type in ("im", "directmessage") or bool(channel_id
                                                           and channel_id.startswith("D"))
