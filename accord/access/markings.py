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
"REL TO MYS/SGP"), US banners ("SECRET//NOFORN"). Finding them in a document and combining
them with what is declared: :mod:`accord.access.marking_search`.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Every byte of the rules file is in the rules' digest (an index marked under other bytes refuses
# to answer until re-marked), so its comments still name this module by its path before the
# wings (accord/markings.py): they change with the next change of the rules themselves.
DEFAULT_RULES = Path(__file__).resolve().parents[1] / "data" / "markings.yaml"
UNMARKED = "UNMARKED"

# Word kinds a marking line may hold.
LEVEL, VAGUE, CAVEAT, PRECEDENCE, HANDLING, CONNECTOR, SERIAL, REL, EYES = (
    "level",
    "vague",
    "caveat",
    "precedence",
    "handling",
    "connector",
    "serial",
    "rel",
    "eyes",
)

TOKEN = re.compile(r"[^\W\d_]+|\d+")
MD_NOISE = re.compile(r"\[\d{1,3}\]\(#f\d+\)|\[\d{1,3}\]|\\(?=[^\w\s])|[*_#>`|~]")


# Raise when the way lines are read changes (accord/access/marking_search.py): the rules' digest
# includes it, so an index marked by the old reading is re-marked at the next sync and refuses
# to answer until then, as when the markings file changes.
READER_VERSION = "2"


class MarkingRulesError(ValueError):
    """The markings file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Phrase:
    kind: str
    value: str  # the level, the caveat, or the phrase itself for other kinds
    upper_only: bool = False


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
                            f"the ladder ({', '.join(self.ladder)})"
                        )
                    for p in phrases:
                        self._add(p, Phrase(LEVEL, level, _key(p) in upper_only))
            for p in data.get("vague") or []:
                self._add(p, Phrase(VAGUE, "", _key(p) in upper_only))
            for caveat, phrases in (data.get("caveats") or {}).items():
                for p in [caveat, *(phrases or [])]:
                    self._add(p, Phrase(CAVEAT, str(caveat).upper()))
            for kind, key in (
                (PRECEDENCE, "precedence"),
                (HANDLING, "handling"),
                (CONNECTOR, "connectors"),
                (SERIAL, "serial"),
                (REL, "releasable_to"),
                (EYES, "eyes_only"),
            ):
                for p in data.get(key) or []:
                    self._add(p, Phrase(kind, " ".join(_key(p))))
            zones = data.get("zones") or {}
            self.head_lines = int(zones.get("head_lines", 15))
            self.foot_lines = int(zones.get("foot_lines", 8))
            self.max_line_chars = int(zones.get("max_line_chars", 120))
            self.max_line_words = int(zones.get("max_line_words", 14))
            self.marking_keys = tuple(str(k) for k in data.get("marking_keys") or ["marking"])
            # Labels that say a marking follows on the same line ("Classification: Protected"):
            # the front-matter keys as words, and the vague words ("Classified: Secret").
            self.marking_labels = frozenset(
                {" ".join(k.upper().replace("_", " ").split()) for k in self.marking_keys}
                | {" ".join(str(v).upper().split()) for v in data.get("vague") or []}
            )
            self.caveat_keys = tuple(str(k) for k in data.get("caveat_keys") or ["caveats"])
            self.folder_defaults_file = str(data.get("folder_defaults_file") or "_folder.meta.yaml")
        except (KeyError, TypeError, AttributeError) as exc:
            raise MarkingRulesError(f"{source}: not a markings file ({exc!r})") from exc
        self.longest = max(len(k) for k in self.phrases)
        connectors = {k for k, p in self.phrases.items() if p.kind == CONNECTOR}
        firsts = sorted(
            {
                k[0]
                for k, p in self.phrases.items()
                if p.kind in (LEVEL, VAGUE, CAVEAT, EYES) and (k[0],) not in connectors
            },
            key=len,
            reverse=True,
        )
        # Most lines hold no level word at all: one search rules them out.
        self._quick = re.compile(
            r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, firsts)) + r")(?![^\W\d_])", re.I
        )

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
        clean = MD_NOISE.sub(" ", line).strip(" \t-–—:;,.()[]")
        if not clean or len(clean) > self.max_line_chars:
            return None
        tokens = TOKEN.findall(clean)
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
                readers = [t for t in _pull_unknown(unknown) if not t.isdigit()]
                caveats.append((" ".join(w.upper() for w in readers) + " EYES ONLY").strip())
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
                p = self.phrases.get(tuple(upper[i : i + n]))
                if p is not None:
                    out.append((p.kind, list(tokens[i : i + n]), p))
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
            return (
                self.top,
                sorted(set(caveats)),
                f"unrecognised marking {text.strip()!r}: placed at {self.top} until the "
                f"markings file ({self.source}) maps it",
            )
        return self.highest(levels), sorted(set(caveats)), None

    def read_caveat(self, value: Any) -> str | None:
        """The caveat a value names ("AUSTEO", "Australian Eyes Only", "REL TO MYS, SGP")."""
        tokens = TOKEN.findall(str(value))
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
    return tuple(t.upper() for t in TOKEN.findall(str(phrase)))


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
        digest = hashlib.sha256(raw + b"\0reader\0" + READER_VERSION.encode()).hexdigest()[:16]
        rules = Rules(data, str(p), digest)
        _CACHE[key] = rules
        return rules
