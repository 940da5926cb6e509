"""Who may see what: audiences, and the one predicate that decides whether a document is shown.

An ``Audience`` is the clearance and the caveats of whoever will read an answer: a CLI user, a
Slack channel (never more than the asker), a DM, an evaluation run. A document is shown to an
audience only when the audience's clearance is at or above the document's marking *and* the
audience holds every caveat the document carries. ``can_see`` is that rule; the dense search,
the lexical search, the answer's final check and Slack's Share all call it.

Caveats: each must be held, except a releasability list ("REL TO MYS/SGP"), which is satisfied by
holding the same list or any one of its members ("REL TO SGP").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from accord.access.markings import Rules

REL_PREFIX = "REL TO "
CAVEAT_SEP = "|"


@dataclass(frozen=True)
class Audience:
    """The readers of an answer: a clearance on the ladder, the caveats they hold, and why."""

    clearance: str
    caveats: frozenset[str] = field(default_factory=frozenset)
    reason: str = ""

    def describe(self) -> str:
        cav = f" + {', '.join(sorted(self.caveats))}" if self.caveats else ""
        return f"{self.clearance}{cav}"

    def as_dict(self) -> dict[str, Any]:
        return {"clearance": self.clearance, "caveats": sorted(self.caveats), "reason": self.reason}


def meet(rules: Rules, a: Audience, b: Audience, reason: str | None = None) -> Audience:
    """What both audiences may see: the lower clearance and the caveats both hold."""
    low = a.clearance if rules.rank(a.clearance) <= rules.rank(b.clearance) else b.clearance
    return Audience(low, a.caveats & b.caveats, reason or f"{a.reason}; {b.reason}")


def caveat_held(caveat: str, held: frozenset[str]) -> bool:
    """Whether an audience holding ``held`` satisfies one document caveat."""
    if caveat in held:
        return True
    if caveat.startswith(REL_PREFIX):
        members = caveat[len(REL_PREFIX) :].split("/")
        return any(f"{REL_PREFIX}{m}" in held for m in members)
    return False


def can_see(rules: Rules, audience: Audience, marking: str | None, caveats: Iterable[str]) -> bool:
    """Whether ``audience`` may see a document marked ``marking`` with ``caveats``.

    An unknown marking ranks at the top of the ladder (``Rules.rank``), so it is never shown
    below the top clearance.
    """
    if rules.rank(marking) > rules.rank(audience.clearance):
        return False
    return all(caveat_held(c, audience.caveats) for c in caveats if c)


def pack_caveats(caveats: Iterable[str]) -> str:
    """Caveats as stored beside a chunk: "|AUSTEO|NZEO|" ("" for none)."""
    items = sorted({c for c in caveats if c})
    return f"{CAVEAT_SEP}{CAVEAT_SEP.join(items)}{CAVEAT_SEP}" if items else ""


def unpack_caveats(packed: Any) -> list[str]:
    return [c for c in str(packed or "").split(CAVEAT_SEP) if c]


def chunk_visible(rules: Rules, audience: Audience, meta: Mapping[str, Any]) -> bool:
    """``can_see`` for a stored chunk's metadata. A chunk written without the access fields
    (an index older than these rules) is never shown."""
    if "marking" not in meta or "caveats" not in meta:
        return False
    return can_see(rules, audience, str(meta["marking"]), unpack_caveats(meta["caveats"]))


def parse_clearance(rules: Rules, value: str) -> str:
    """The ladder level a clearance names; raises ValueError listing the levels when unknown."""
    level = rules.level_named(value or "")
    if level is None:
        raise ValueError(
            f"unknown clearance {value!r}; use one of {', '.join(rules.ladder)} "
            f"(or a national name in {rules.source})"
        )
    return level


def parse_caveats(rules: Rules, values: Iterable[str]) -> frozenset[str]:
    """Caveats an audience holds, as the rules name them ("Australian Eyes Only" -> AUSTEO);
    a name the rules do not know is kept as written, in capitals."""
    out: set[str] = set()
    for v in values:
        for part in str(v).split(","):
            part = " ".join(part.split())
            if part:
                out.add(rules.read_caveat(part) or part.upper())
    return frozenset(out)
