"""Finding a document's markings: its marking lines, and the decision that combines them with
what front matter, sidecars and folders declare.

Lines are read by :meth:`accord.access.markings.Rules.read_line`. A line that maps cleanly counts
anywhere in a document; a marking-like line with words the rules do not know counts in the head
and foot of the text and of every PDF page, and puts the document at the top of the ladder with
a problem naming the line (fail closed).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.access.markings import (
    LEVEL,
    MD_NOISE,
    PRECEDENCE,
    SERIAL,
    TOKEN,
    VAGUE,
    LineReading,
    Rules,
)


@dataclass
class Evidence:
    """Why a document carries (part of) its marking."""

    kind: str  # "text", "page", "header/footer", "front matter", "sidecar", "folder default",
    #            "sidecar override", "none found"
    where: str  # "line 3", "p. 2, line 1", "key 'marking'", "minutes/_folder.meta.yaml"
    line: str  # the line or value as written
    marking: str  # the level this evidence gives (the top of the ladder when unmappable)
    caveats: list[str] = field(default_factory=list)
    problem: str | None = None  # why it could not be mapped, when it could not

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "where": self.where,
            "line": self.line,
            "marking": self.marking,
            "caveats": list(self.caveats),
            "problem": self.problem,
        }

    def describe(self) -> str:
        if self.kind == "none found":
            return "none found"
        text = f"{self.kind} ({self.where}): {self.line!r}"
        return text + (f" [{self.problem}]" if self.problem else "")


@dataclass
class MarkingResult:
    """A document's marking: its level on the ladder, its caveats, and the evidence."""

    marking: str
    caveats: list[str]
    evidence: list[Evidence]

    @property
    def problems(self) -> list[str]:
        return [f"{e.describe()}" for e in self.evidence if e.problem]


def find_markings(
    rules: Rules,
    text: str,
    page_starts: Sequence[int] = (),
    extra_zones: Sequence[tuple[str, str]] = (),
) -> list[Evidence]:
    """Every marking line of ``text``: anywhere when it maps cleanly, in the head and foot of the
    text and of every page when it does not. ``extra_zones`` are (where, text) pairs read whole
    (Word headers and footers, HTML header elements)."""
    found: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    lines = _numbered_lines(text)
    zone_ids: set[int] = set()
    zone_ids.update(i for i, _ in lines[: rules.head_lines])
    zone_ids.update(i for i, _ in lines[-rules.foot_lines :] if rules.foot_lines)
    page_of: dict[int, int] = {}
    if page_starts:
        offsets = _line_offsets(text)
        by_page: dict[int, list[int]] = {}
        for i, _line in lines:
            page = max(1, bisect.bisect_right(list(page_starts), offsets[i]))
            page_of[i] = page
            by_page.setdefault(page, []).append(i)
        for ids in by_page.values():
            zone_ids.update(ids[: max(1, rules.head_lines // 2)])
            zone_ids.update(ids[-max(1, rules.foot_lines // 2) :])
    for i, line in lines:
        ev = _evidence_for(rules, line, in_zone=i in zone_ids)
        if ev is None:
            continue
        where = f"line {i + 1}" if i not in page_of else f"p. {page_of[i]}, line {i + 1}"
        ev.kind = "page" if i in page_of else "text"
        ev.where = where
        if (ev.line, ev.marking) not in seen:
            seen.add((ev.line, ev.marking))
            found.append(ev)
    for where, zone_text in extra_zones:
        for _, line in _numbered_lines(zone_text):
            ev = _evidence_for(rules, line, in_zone=True)
            if ev is not None and (ev.line, ev.marking) not in seen:
                seen.add((ev.line, ev.marking))
                ev.kind, ev.where = "header/footer", where
                found.append(ev)
    return found


_SPACED = re.compile(r"[^\w]*(?:[A-Za-z] {1,3}){3,}[A-Za-z][^\w]*")
_LABELLED = re.compile(r"[^\w]*([A-Za-z][A-Za-z ]{2,40}?)\s*:\s*(\S.*)")


def unspaced(rules: Rules, line: str) -> str:
    """A marking typed with its letters spaced out ("S E C R E T", "T O P   S E C R E T") as
    its words; other lines unchanged. Without wider gaps between words, the letters are matched
    against the known phrases written without spaces."""
    if not _SPACED.fullmatch(line.strip()):
        return line
    words = ["".join(g.split()) for g in re.split(r"\s{2,}", line.strip()) if g.strip()]
    if len(words) == 1:
        joined = words[0].upper()
        for key in rules.phrases:
            if "".join(key) == joined:
                return " ".join(key)
    return " ".join(words)


def _labelled(rules: Rules, line: str) -> LineReading | None:
    """ "Classification: Protected", "Security classification: Secret": after a label that says
    a marking follows, the value is read in any case (a heading would not carry the label)."""
    m = _LABELLED.fullmatch(line.strip())
    if m is None or len(m.group(2).split()) > rules.max_line_words:
        return None
    label = " ".join(m.group(1).upper().split())
    if label not in rules.marking_labels:
        return None
    reading = rules.read_line(m.group(2), any_case=True)
    if reading is None:  # no known word at all ("Classification: Amber"): nobody can map it
        words = [t for t in TOKEN.findall(m.group(2)) if not t.isdigit()]
        return LineReading([], [], words, False) if words else None
    return reading


def _evidence_for(rules: Rules, line: str, in_zone: bool) -> Evidence | None:
    line = unspaced(rules, line)
    text = line.strip()
    if in_zone:
        labelled = _labelled(rules, line)
        if labelled is not None and (labelled.levels or labelled.vague or labelled.unknown):
            if labelled.unknown or not labelled.levels:
                return Evidence(
                    "text",
                    "",
                    text,
                    rules.top,
                    labelled.caveats,
                    "a labelled marking nobody can map: "
                    f"{', '.join(labelled.unknown) or 'no level'}; placed at "
                    f"{rules.top} until the markings file maps it",
                )
            return Evidence("text", "", text, rules.highest(labelled.levels), labelled.caveats)
    reading = _read_banner(rules, line)
    if reading is None:
        return None
    if not reading.unknown and reading.levels:
        return Evidence("text", "", text, rules.highest(reading.levels), reading.caveats)
    if not in_zone:
        return None
    if not reading.levels and not reading.vague:
        # A caveat line without a level ("AUSTEO", "NEW ZEALAND EYES ONLY"): in capitals only,
        # since "Personal" heads letters; the caveat restricts the document by itself.
        if not _all_caps(line):
            return None
        if not reading.unknown:
            return Evidence("text", "", text, rules.bottom, reading.caveats)
        return None  # "CHAIRMAN, CABINET ECONOMIC COMMITTEE": a caveat word in a heading
    # Unknown words. All-capital markings with unknown words, or a title-case one that also has
    # a serial number or another marking word, are markings nobody can map: top of the ladder.
    level_caps = _has_caps_level(rules, line)
    other_signal = bool(reading.caveats) or _has_serial_or_precedence(rules, line)
    if reading.vague and not reading.levels and not reading.unknown:
        problem = "marking without a level"
    elif level_caps or other_signal:
        problem = f"unrecognised words in a marking line: {', '.join(reading.unknown)}"
    else:
        return None  # "Secret Service", a heading in title case
    return Evidence(
        "text",
        "",
        text,
        rules.top,
        reading.caveats,
        problem + f"; placed at {rules.top} until the markings file maps it",
    )


def _read_banner(rules: Rules, line: str) -> LineReading | None:
    """A line, or a US-style banner whose parts are joined by '//'."""
    if "//" not in line:
        return rules.read_line(line)
    parts = [p for p in line.split("//") if p.strip()]
    if not parts or len(line) > rules.max_line_chars:
        return None
    first = rules.read_line(parts[0])
    if first is None:
        return None
    for part in parts[1:]:
        cav = rules.read_caveat(part)
        if cav:
            first.caveats = sorted(set(first.caveats) | {cav})
            continue
        sub = rules.read_line(part)
        if sub is not None and not sub.unknown:
            first.levels.extend(sub.levels)
            first.caveats = sorted(set(first.caveats) | set(sub.caveats))
        else:
            first.unknown.extend(TOKEN.findall(part))
    return first


def _all_caps(line: str) -> bool:
    return all(t.isupper() for t in TOKEN.findall(line) if not t.isdigit())


def _has_caps_level(rules: Rules, line: str) -> bool:
    tokens = TOKEN.findall(MD_NOISE.sub(" ", line))
    for kind, toks, _ in rules._segment(tokens):
        if kind in (LEVEL, VAGUE) and all(t.isupper() for t in toks):
            return True
    return False


def _has_serial_or_precedence(rules: Rules, line: str) -> bool:
    tokens = TOKEN.findall(MD_NOISE.sub(" ", line))
    return any(kind in (SERIAL, PRECEDENCE) for kind, _, _ in rules._segment(tokens))


def _numbered_lines(text: str) -> list[tuple[int, str]]:
    return [(i, ln) for i, ln in enumerate(text.split("\n")) if ln.strip()]


def _line_offsets(text: str) -> list[int]:
    offsets, pos = [], 0
    for ln in text.split("\n"):
        offsets.append(pos)
        pos += len(ln) + 1
    return offsets


def decide(
    rules: Rules,
    text_evidence: list[Evidence],
    declared: list[Evidence],
    override: Evidence | None = None,
) -> MarkingResult:
    """Combine what the text shows with what front matter, sidecars and folders declare.

    The highest level wins and caveats add up: nothing declared can lower what the text shows.
    Only an explicit sidecar override (``marking_override: true``) replaces everything.
    """
    if override is not None:
        return MarkingResult(override.marking, sorted(set(override.caveats)), [override])
    evidence = [*declared, *text_evidence]
    if not evidence:
        return MarkingResult(rules.bottom, [], [Evidence("none found", "", "", rules.bottom)])
    level = rules.highest(e.marking for e in evidence)
    caveats = sorted({c for e in evidence for c in e.caveats})
    return MarkingResult(level, caveats, evidence)
