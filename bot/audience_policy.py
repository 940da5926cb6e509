"""The audience policy file (``ACCORD_AUDIENCE_POLICY``, YAML): which clearance and caveats a
Slack channel, user or user group is granted, read and checked line by line. Who reads an answer
in a given conversation is decided from it by ``bot.audience``.

    default: OFFICIAL            # a channel or user not listed below
    shared_default: UNMARKED     # a Slack Connect conversation (never above default)
    channels:
      C0JWCSEC1: {clearance: RESTRICTED, caveats: [REL TO SGP]}
      C0PRESS01: UNMARKED
    users:
      U0DIRECTOR: {clearance: SECRET, caveats: [AUSTEO]}
    usergroups:
      S0ANALYSTS: CONFIDENTIAL
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from accord.access.audiences import Audience, parse_caveats
from accord.access.markings import Rules
from accord.errors import PolicyError

_SECTIONS = ("channels", "users", "usergroups")
_TOP_KEYS = ("default", "shared_default", *_SECTIONS)
_GRANT_KEYS = ("clearance", "caveats", "note")
_ID = {
    "channels": re.compile(r"^[CGD][A-Z0-9]{2,}$"),
    "users": re.compile(r"^[UW][A-Z0-9]{2,}$"),
    "usergroups": re.compile(r"^S[A-Z0-9]{2,}$"),
}


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
    def default_only(
        cls, rules: Rules, clearance: str, caveats: frozenset[str] = frozenset()
    ) -> Policy:
        """No policy file: everyone gets ``clearance``; Slack Connect the bottom of the ladder."""
        return cls(
            Grant(clearance, caveats, "ACCORD_CLEARANCE"),
            Grant(rules.bottom, frozenset(), "no policy file"),
            {},
            {},
            {},
            "ACCORD_CLEARANCE",
        )

    @classmethod
    def load(cls, path: Path, rules: Rules) -> Policy:
        """Read and check a policy file. Raises PolicyError naming the file, line and reason."""
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(
                f"audience policy {path}: cannot be read ({exc.strerror or exc})"
            ) from exc
        except UnicodeDecodeError as exc:
            raise PolicyError(f"audience policy {path}: not UTF-8 text") from exc
        try:
            root = yaml.compose(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f":{mark.line + 1}" if mark is not None else ""
            raise PolicyError(
                f"audience policy {path}{at}: invalid YAML ({getattr(exc, 'problem', None) or exc})"
            ) from exc
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
            raise self.fail(
                root,
                "expected a mapping with default, shared_default, channels, users and usergroups",
            )
        seen: dict[str, Any] = {}
        for key_node, value_node in root.value:
            key = str(key_node.value)
            if key not in _TOP_KEYS:
                raise self.fail(key_node, f"unknown key {key!r}; use {', '.join(_TOP_KEYS)}")
            if key in seen:
                raise self.fail(key_node, f"{key!r} is given twice")
            seen[key] = value_node
        if "default" not in seen:
            raise self.fail(
                root,
                "'default' is required: the clearance of whatever is not "
                "listed (the lowest level your workspace may see)",
            )
        default = self.grant(seen["default"])
        shared = (
            self.grant(seen["shared_default"])
            if "shared_default" in seen
            else Grant(self.rules.bottom, frozenset(), "bottom of the ladder")
        )
        if self.rules.rank(shared.clearance) > self.rules.rank(default.clearance):
            raise self.fail(
                seen["shared_default"],
                f"shared_default ({shared.clearance}) may "
                f"not be above default ({default.clearance})",
            )
        sections: dict[str, dict[str, Grant]] = {s: {} for s in _SECTIONS}
        for name in _SECTIONS:
            node = seen.get(name)
            if node is None or (
                isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")
            ):
                continue
            if not isinstance(node, yaml.MappingNode):
                raise self.fail(node, f"{name!r} must be a mapping of Slack ids to clearances")
            for id_node, grant_node in node.value:
                sid = str(id_node.value).strip()
                if not _ID[name].match(sid):
                    raise self.fail(
                        id_node,
                        f"{sid!r} does not look like a Slack id for {name} (e.g. {_example(name)})",
                    )
                if sid in sections[name]:
                    raise self.fail(id_node, f"{sid} is listed twice under {name}")
                sections[name][sid] = self.grant(grant_node)
        return Policy(
            default,
            shared,
            sections["channels"],
            sections["users"],
            sections["usergroups"],
            str(self.path),
        )

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
            raise self.fail(
                node, f"unknown clearance {value!r}; use one of {', '.join(self.rules.ladder)}"
            )
        return level


def _example(section: str) -> str:
    return {"channels": "C0123ABCD", "users": "U0123ABCD", "usergroups": "S0123ABCD"}[section]
