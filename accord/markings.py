"""Security markings: the ladder, the national schemes on it, and reading markings off documents.

The rules are data (``accord/data/markings.yaml``, or the file ``ACCORD_MARKINGS_FILE`` names);
this module reads them once and applies them. Every decision fails closed:

- a line that reads as a marking but holds a word the rules do not know ("SECRET ZEBRA",
  "Secret Piority And Personal") puts the document at the top of the ladder, and the line is
  reported as a problem naming it;
- a front-matter or sidecar marking that cannot be mapped does the same;
- nothing found anywhere is UNMARKED, and says so ("none found") in the evidence.

Lines are read as real documents write them: serial and message numbers first ("248.",
"No 63.", "E (12) 41.", "1286\\."), precedence words before or after ("IMMEDIATE TOP SECRET",
"CONFIDENTIAL NZEO PRIORITY"), caveats after ("TOP SECRET AND PERSONAL", "SECRET AUSTEO",
"REL TO MYS/SGP"), US banners ("SECRET//NOFORN").
"""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_RULES = Path(__file__).with_name("data") / "markings.yaml"
UNMARKED = "UNMARKED"

# Word kinds a marking line may hold.
LEVEL, VAGUE, CAVEAT, PRECEDENCE, HANDLING, CONNECTOR, SERIAL, REL, EYES = (
    "level", "vague", "caveat", "precedence", "handling", "connector", "serial", "rel", "eyes")

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_MD_NOISE = re.compile(r"\[\d{1,3}\]\(#f\d+\)|\[\d{1,3}\]|\\(?=[^\w\s])|[*_#>`|~]")


class MarkingRulesError(ValueError):
    """The markings file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Phrase:
    kind: str
    value: str  # the level, the caveat, or the phrase itself for other kinds
    upper_only: bool = False


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
        return {"kind": self.kind, "where": self.where, "line": self.line,
                "marking": self.marking, "caveats": list(self.caveats), "problem": self.problem}

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


@dataclass
class LineReading:
    """One line read as a marking line."""

    levels: list[str]
    caveats: list[str]
    unknown: list[str]
    vague: bool


class Rules:
    """The ladder and the phrases of every scheme, loaded from a markings file."""

    def __init__(self, data: dict[str, Any], source: str, digest: str) -> None:
        self.source = source
        self.digest = digest
        try:
            self.ladder: tuple[str, ...] = tuple(str(x).upper() for x in data["ladder"])
            if len(self.ladder) < 2 or len(set(self.ladder)) != len(self.ladder):
                raise MarkingRulesError(f"{source}: 'ladder' needs two or more distinct levels")
            self.phrases: dict[tuple[str, ...], Phrase] = {}
            upper_only = {_key(p) for p in data.get("upper_only") or []}
            for scheme, levels in (data.get("levels") or {}).items():
                for level, phrases in (levels or {}).items():
                    level = str(level).upper()
                    if level not in self.ladder:
                        raise MarkingRulesError(
                            f"{source}: scheme {scheme!r} maps onto {level!r}, which is not on "
                            f"the ladder ({', '.join(self.ladder)})")
                    for p in phrases:
                        self._add(p, Phrase(LEVEL, level, _key(p) in upper_only))
            for p in data.get("vague") or []:
                self._add(p, Phrase(VAGUE, "", _key(p) in upper_only))
            for caveat, phrases in (data.get("caveats") or {}).items():
                for p in [caveat, *(phrases or [])]:
                    self._add(p, Phrase(CAVEAT, str(caveat).upper()))
            for kind, key in ((PRECEDENCE, "precedence"), (HANDLING, "handling"),
                              (CONNECTOR, "connectors"), (SERIAL, "serial"),
                              (REL, "releasable_to"), (EYES, "eyes_only")):
                for p in data.get(key) or []:
                    self._add(p, Phrase(kind, " ".join(_key(p))))
            zones = data.get("zones") or {}
            self.head_lines = int(zones.get("head_lines", 15))
            self.foot_lines = int(zones.get("foot_lines", 8))
            self.max_line_chars = int(zones.get("max_line_chars", 120))
            self.max_line_words = int(zones.get("max_line_words", 14))
            self.marking_keys = tuple(str(k) for k in data.get("marking_keys") or ["marking"])
            self.caveat_keys = tuple(str(k) for k in data.get("caveat_keys") or ["caveats"])
            self.folder_defaults_file = str(data.get("folder_defaults_file")
                                            or "_folder.meta.yaml")
        except (KeyError, TypeError, AttributeError) as exc:
            raise MarkingRulesError(f"{source}: not a markings file ({exc!r})") from exc
        self.longest = max(len(k) for k in self.phrases)
        connectors = {k for k, p in self.phrases.items() if p.kind == CONNECTOR}
        firsts = sorted({k[0] for k, p in self.phrases.items()
                         if p.kind in (LEVEL, VAGUE, CAVEAT, EYES) and (k[0],) not in connectors},
                        key=len, reverse=True)
        # Most lines hold no level word at all: one search rules them out.
        self._quick = re.compile(r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, firsts))
                                 + r")(?![^\W\d_])", re.I)

    def _add(self, phrase: Any, what: Phrase) -> None:
        key = _key(phrase)
        if not key:
            return
        old = self.phrases.get(key)
        if old is not None and old.kind == LEVEL and what.kind == LEVEL:
            # The same words in two schemes: the higher level wins (fail closed).
            if self.rank(what.value) <= self.rank(old.value):
                return
        elif old is not None and old.kind in (LEVEL, CAVEAT, VAGUE):
            return
        self.phrases[key] = what

    # --- the ladder -------------------------------------------------------------------------
    @property
    def top(self) -> str:
        return self.ladder[-1]

    @property
    def bottom(self) -> str:
        return self.ladder[0]

    def rank(self, level: str | None) -> int:
        """Position of ``level`` on the ladder (0 = UNMARKED); unknown levels rank at the top."""
        if not level:
            return 0
        try:
            return self.ladder.index(level.upper())
        except ValueError:
            return len(self.ladder) - 1

    def highest(self, levels: Iterable[str]) -> str:
        return max(levels, key=self.rank, default=self.bottom)

    def level_named(self, value: str) -> str | None:
        """The ladder level a clearance or marking name means ("SULIT" -> CONFIDENTIAL), or None.

        Used for clearances given by people (settings, --clearance, the audience policy), where
        an unknown name is an error, never a guess.
        """
        key = _key(value)
        for joined in (" ".join(key), "-".join(key)):
            if joined in self.ladder:
                return joined
        p = self.phrases.get(key)
        return p.value if p is not None and p.kind == LEVEL else None

    # --- reading lines ----------------------------------------------------------------------
    def read_line(self, line: str, *, any_case: bool = False) -> LineReading | None:
        """Read ``line`` as a marking line; None when it is not one.

        ``any_case`` reads values written by people (front matter, sidecars): case is ignored
        and the line need not look like a banner.
        """
        if len(line) > self.max_line_chars * 2 or not self._quick.search(line):
            return None
        clean = _MD_NOISE.sub(" ", line).strip(" \t-–—:;,.()[]")
        if not clean or len(clean) > self.max_line_chars:
            return None
        tokens = _TOKEN.findall(clean)
        if not tokens or len(tokens) > self.max_line_words:
            return None
        words = [t for t in tokens if not t.isdigit()]
        if not words:
            return None
        segments = self._segment(tokens)
        if not any_case:
            for kind, toks, _p in segments:
                if kind == CONNECTOR:
                    continue
                if any(t[0].islower() for t in toks if not t.isdigit()):
                    return None  # prose: "Secret talks were held"
        levels: list[str] = []
        caveats: list[str] = []
        unknown: list[str] = []
        vague = False
        seen_level = False
        i = 0
        while i < len(segments):
            kind, toks, phrase = segments[i]
            if kind == LEVEL and phrase is not None:
                if phrase.upper_only and not any_case and not all(t.isupper() for t in toks):
                    unknown.extend(toks)
                else:
                    levels.append(phrase.value)
                    seen_level = True
            elif kind == VAGUE and phrase is not None:
                if phrase.upper_only and not any_case and not all(t.isupper() for t in toks):
                    unknown.extend(toks)
                else:
                    vague = True
            elif kind == CAVEAT and phrase is not None:
                caveats.append(phrase.value)
                if toks[-1].upper() == "ONLY" and unknown:
                    # "AUSTRALIAN/NEW ZEALAND EYES ONLY": the words before name readers too.
                    who = " ".join(w.upper() for w in _pull_unknown(unknown))
                    caveats.append(self.read_caveat(f"{who} EYES ONLY") or f"{who} EYES ONLY")
            elif kind == REL:
                codes: list[str] = []
                j = i + 1
                while j < len(segments) and segments[j][0] in (None, CONNECTOR):
                    nk, ntoks, _ = segments[j]
                    if nk is None and all(t.isupper() and 2 <= len(t) <= 4 for t in ntoks):
                        codes.extend(ntoks)
                    elif nk is not None and ntoks and ntoks[0].upper() not in ("AND",):
                        break
                    j += 1
                if codes:
                    caveats.append("REL TO " + "/".join(sorted(set(codes))))
                    i = j
                    continue
                unknown.extend(toks)
            elif kind == EYES:
                # "SINGAPORE EYES ONLY": the words before it name who may read.
                who = [t for t in _pull_unknown(unknown) if not t.isdigit()]
                caveats.append((" ".join(w.upper() for w in who) + " EYES ONLY").strip())
            elif kind in (PRECEDENCE, HANDLING, CONNECTOR):
                pass
            elif kind == SERIAL:
                pass
            else:  # unknown words: numbers and short codes before the level are serials
                for t in toks:
                    if t.isdigit():
                        continue
                    if not seen_level and not levels and t.isupper() and len(t) <= 4:
                        continue  # "E (12) 41.", "AP12.", "CM 3/4.", "1234.WLN"
                    unknown.append(t)
            i += 1
        if not levels and not vague and not caveats:
            return None
        return LineReading(levels, sorted(set(caveats)), unknown, vague)

    def _segment(self, tokens: Sequence[str]) -> list[tuple[str | None, list[str], Phrase | None]]:
        """Greedy longest-phrase segmentation of ``tokens`` into known phrases and the rest."""
        out: list[tuple[str | None, list[str], Phrase | None]] = []
        i = 0
        upper = [t.upper() for t in tokens]
        while i < len(tokens):
            if tokens[i].isdigit():
                out.append((SERIAL, [tokens[i]], None))
                i += 1
                continue
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                p = self.phrases.get(tuple(upper[i:i + n]))
                if p is not None:
                    out.append((p.kind, list(tokens[i:i + n]), p))
                    i += n
                    break
            else:
                out.append((None, [tokens[i]], None))
                i += 1
        return out

    def read_value(self, value: Any) -> tuple[str, list[str], str | None]:
        """Read a front-matter or sidecar marking value. Returns (level, caveats, problem).

        A value that cannot be mapped gives the top of the ladder and a problem saying why.
        """
        text = " ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
        parts = [p for p in re.split(r"//|\|", text) if p.strip()]
        if not parts:
            return self.bottom, [], None
        levels: list[str] = []
        caveats: list[str] = []
        unknown: list[str] = []
        for k, part in enumerate(parts):
            reading = self.read_line(part, any_case=True)
            if reading is None:
                cav = self.read_caveat(part) if k else None
                if cav:
                    caveats.append(cav)
                    continue
                unknown.append(part.strip())
                continue
            levels.extend(reading.levels)
            caveats.extend(reading.caveats)
            unknown.extend(reading.unknown)
            if reading.vague and not reading.levels:
                unknown.append(part.strip())
        if unknown or not levels:
            return (self.top, sorted(set(caveats)),
                    f"unrecognised marking {text.strip()!r}: placed at {self.top} until the "
                    f"markings file ({self.source}) maps it")
        return self.highest(levels), sorted(set(caveats)), None

    def read_caveat(self, value: Any) -> str | None:
        """The caveat a value names ("AUSTEO", "Australian Eyes Only", "REL TO MYS, SGP")."""
        tokens = _TOKEN.findall(str(value))
        if not tokens:
            return None
        segs = self._segment(tokens)
        if len(segs) == 1 and segs[0][0] == CAVEAT and segs[0][2] is not None:
            return segs[0][2].value
        if segs[0][0] == REL:
            codes = [t.upper() for k, toks, _ in segs[1:] if k is None for t in toks]
            if codes:
                return "REL TO " + "/".join(sorted(set(codes)))
        if segs[-1][0] == EYES:
            who = " ".join(t.upper() for _, toks, _ in segs[:-1] for t in toks)
            return f"{who} EYES ONLY".strip()
        return None

    def normalise_caveats(self, values: Any) -> tuple[list[str], list[str]]:
        """Caveats from a front-matter/sidecar value: (caveats, problems).

        An unknown caveat is kept as written (upper case): it still restricts the document to
        audiences that hold it, and it is reported.
        """
        if values is None or values == "":
            return [], []
        items = values if isinstance(values, (list, tuple)) else re.split(r"[;,]", str(values))
        out: list[str] = []
        problems: list[str] = []
        for item in items:
            s = " ".join(str(item).split())
            if not s:
                continue
            cav = self.read_caveat(s)
            if cav is None:
                cav = s.upper()
                problems.append(f"unrecognised caveat {s!r} kept as written")
            out.append(cav)
        return sorted(set(out)), problems


def _pull_unknown(unknown: list[str]) -> list[str]:
    """Take the trailing run of unknown capitalised words (the country of an EYES ONLY)."""
    run: list[str] = []
    while unknown and unknown[-1][:1].isupper():
        run.insert(0, unknown.pop())
    return run


def _key(phrase: Any) -> tuple[str, ...]:
    return tuple(t.upper() for t in _TOKEN.findall(str(phrase)))


# --- finding markings in a document -----------------------------------------------------------

def find_markings(rules: Rules, text: str, page_starts: Sequence[int] = (),
                  extra_zones: Sequence[tuple[str, str]] = ()) -> list[Evidence]:
    """Every marking line of ``text``: anywhere when it maps cleanly, in the head and foot of the
    text and of every page when it does not. ``extra_zones`` are (where, text) pairs read whole
    (Word headers and footers, HTML header elements)."""
    found: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    lines = _numbered_lines(text)
    zone_ids: set[int] = set()
    zone_ids.update(i for i, _ in lines[:rules.head_lines])
    zone_ids.update(i for i, _ in lines[-rules.foot_lines:] if rules.foot_lines)
    page_of: dict[int, int] = {}
    if page_starts:
        offsets = _line_offsets(text)
        by_page: dict[int, list[int]] = {}
        for i, _line in lines:
            page = max(1, bisect.bisect_right(list(page_starts), offsets[i]))
            page_of[i] = page
            by_page.setdefault(page, []).append(i)
        for ids in by_page.values():
            zone_ids.update(ids[:max(1, rules.head_lines // 2)])
            zone_ids.update(ids[-max(1, rules.foot_lines // 2):])
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


def _evidence_for(rules: Rules, line: str, in_zone: bool) -> Evidence | None:
    reading = _read_banner(rules, line)
    if reading is None:
        return None
    text = line.strip()
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
    return Evidence("text", "", text, rules.top, reading.caveats,
                    problem + f"; placed at {rules.top} until the markings file maps it")


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
            first.unknown.extend(_TOKEN.findall(part))
    return first


def _all_caps(line: str) -> bool:
    return all(t.isupper() for t in _TOKEN.findall(line) if not t.isdigit())


def _has_caps_level(rules: Rules, line: str) -> bool:
    tokens = _TOKEN.findall(_MD_NOISE.sub(" ", line))
    for kind, toks, _ in rules._segment(tokens):
        if kind in (LEVEL, VAGUE) and all(t.isupper() for t in toks):
            return True
    return False


def _has_serial_or_precedence(rules: Rules, line: str) -> bool:
    tokens = _TOKEN.findall(_MD_NOISE.sub(" ", line))
    return any(kind in (SERIAL, PRECEDENCE) for kind, _, _ in rules._segment(tokens))


def _numbered_lines(text: str) -> list[tuple[int, str]]:
    return [(i, ln) for i, ln in enumerate(text.split("\n")) if ln.strip()]


def _line_offsets(text: str) -> list[int]:
    offsets, pos = [], 0
    for ln in text.split("\n"):
        offsets.append(pos)
        pos += len(ln) + 1
    return offsets


def decide(rules: Rules, text_evidence: list[Evidence], declared: list[Evidence],
           override: Evidence | None = None) -> MarkingResult:
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


# --- loading the rules once --------------------------------------------------------------------

_LOCK = threading.Lock()
_CACHE: dict[str, Rules] = {}


def load_rules(path: Path | str | None = None) -> Rules:
    """The rules in ``path`` (default: the file shipped with Accord), read once per process.

    Raises MarkingRulesError naming the file when it is missing or malformed.
    """
    p = Path(path) if path else DEFAULT_RULES
    key = str(p.resolve()) if p.exists() else str(p)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise MarkingRulesError(f"markings file {p}: {exc.strerror or exc}") from exc
        try:
            data = yaml.safe_load(raw.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise MarkingRulesError(f"markings file {p}: invalid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise MarkingRulesError(f"markings file {p}: not a mapping")
        rules = Rules(data, str(p), hashlib.sha256(raw).hexdigest()[:16])
        _CACHE[key] = rules
        return rules
