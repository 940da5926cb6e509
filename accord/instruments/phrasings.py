"""The phrasings by which a document speaks of other instruments, read from
``accord/data/instruments.yaml`` once: references to a named instrument ("the Statement of Intent
on Co-production ..., signed December 6, 2023"), the clauses that make a relation (implements,
extends, amends, supersedes, terminates), whether a clause has the document itself as its subject,
and the head noun of a reference or title (so "the Agreement ... on Reciprocal Trade" is never
resolved to a "Joint Statement on ... Agreement on Reciprocal Trade").

``relations_in(text)`` yields each relation clause with the reference it names, its date when the
text gives one, and the span of the clause; accord/instruments/registry.py turns them into
relations with their evidence sentence.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

PHRASES_FILE = Path(__file__).resolve().parents[1] / "data" / "instruments.yaml"
RELATION_KINDS = ("amends", "supersedes", "extends", "terminates", "implements")
_SELF_KINDS = ("supersedes", "terminates")  # only with the document itself as subject


@dataclass(frozen=True)
class Phrases:
    nouns: tuple[str, ...]  # longest first
    noun_re: re.Pattern[str]
    noun_any_case_re: re.Pattern[str]  # the same, written in any case (as a question may)
    token_re: re.Pattern[str]
    connectors: frozenset[str]
    self_re: re.Pattern[str]
    other_re: re.Pattern[str]
    triggers: dict[str, tuple[re.Pattern[str], ...]]
    on_signature: re.Pattern[str]


@functools.lru_cache(maxsize=2)
def phrases(path: str | None = None) -> Phrases:
    """The phrasings in ``path`` (default: the shipped file), read once per process."""
    data = yaml.safe_load((Path(path) if path else PHRASES_FILE).read_text(encoding="utf-8"))
    nouns = tuple(sorted((str(n) for n in data["instrument_nouns"]), key=len, reverse=True))
    alt = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in nouns)
    return Phrases(
        nouns=nouns,
        noun_re=re.compile(r"\b(?:" + alt + r")\b"),
        noun_any_case_re=re.compile(r"\b(?:" + alt + r")\b", re.I),
        token_re=re.compile(r"[A-Z0-9][\w.'’&/-]*"),
        connectors=frozenset(str(c) for c in data["reference_connectors"]),
        self_re=re.compile("|".join(data["self_subjects"])),
        other_re=re.compile(r"\b(?:the|an|any|that)\s+(?:" + alt + r")\b"),
        triggers={
            kind: tuple(re.compile(p) for p in data.get(kind) or []) for kind in RELATION_KINDS
        },
        on_signature=re.compile(str(data["takes_effect_on_signature"]), re.I),
    )


def _canonical(noun: str) -> str:
    n = " ".join(noun.split()).lower()
    return "memorandum of understanding" if n == "mou" else n


def head_noun(text: str, any_case: bool = False) -> str | None:
    """The first instrument noun in ``text`` ("memorandum of understanding" for "the MoU"),
    lower case; None when it names none. ``any_case``: also written in lower case, as a
    question may ("when was the protocol signed")."""
    ph = phrases()
    m = (ph.noun_any_case_re if any_case else ph.noun_re).search(text)
    return _canonical(m.group(0)) if m else None


def reference_at(text: str, pos: int, limit: int = 45) -> tuple[str, int] | None:
    """The capitalised reference that starts at ``pos`` ("Paris Agreement", "Research,
    Development, Testing, and Evaluation Agreement", "Agreement ... Purposes of July 3, 1958")
    and where it ends; None when it names no instrument."""
    ph = phrases()
    i, end, words = pos, pos, 0
    while words < limit:
        m = ph.token_re.match(text, i)
        if m:
            end = i = m.end()
            if m.group(0).endswith(".") and "." not in m.group(0)[:-1]:
                break  # "Agreement." ends the sentence; "U.S." goes on
        else:
            w = re.match(r"[a-z]+", text[i:])
            if not w or w.group(0) not in ph.connectors:
                break
            i += w.end()
        words += 1
        sep = re.match(r",?[ \t]*\n?[ \t]*", text[i:])
        nxt = i + (sep.end() if sep else 0)
        if sep and "," in sep.group(0) and not re.match(r"[A-Z0-9]|and\s+[A-Z]", text[nxt:]):
            break  # a comma goes on only into another capitalised word or a year
        if nxt == i:
            break
        i = nxt
    ref = text[pos:end].rstrip(".,’'")
    if not ph.noun_re.search(ref):
        return None
    return " ".join(ref.split()), pos + len(ref)


_DATE_AFTER = re.compile(r"\s*,?\s*(?:signed|done|dated|concluded|adopted)\s+(?:in|at|on)?\s*")


def speaks_of_itself(sentence_before: str) -> bool:
    """Whether the clause ending ``sentence_before`` has the document itself as subject: the last
    subject-like mention before the verb is "This ...", "The present ..." or "It", not "the
    Agreement" of some other instrument."""
    ph = phrases()
    own = [m.start() for m in ph.self_re.finditer(sentence_before)]
    other = [m.start() for m in ph.other_re.finditer(sentence_before)]
    return bool(own) and (not other or own[-1] > other[-1])


@dataclass
class Clause:
    kind: str
    ref: str
    date_text: str | None  # text that may hold the target's date ("of July 3, 1958", "signed ...")
    start: int  # the clause: trigger through the reference
    end: int


def relations_in(text: str, sentence_start: SentenceStart) -> Iterator[Clause]:
    """Every relation clause of ``text``; ``sentence_start(pos)`` gives where the sentence holding
    ``pos`` starts (to check the subject of supersession and termination clauses)."""
    ph = phrases()
    for kind in RELATION_KINDS:
        for pat in ph.triggers[kind]:
            for m in pat.finditer(text):
                got = reference_at(text, m.end())
                if got is None:
                    continue
                ref, end = got
                if kind in _SELF_KINDS and not speaks_of_itself(
                    text[sentence_start(m.start()) : m.start()]
                ):
                    continue
                after = _DATE_AFTER.match(text, end)
                date_text = ref + (" " + text[after.end() : after.end() + 40] if after else "")
                lead = "the " if not ref.lower().startswith(("the ", "their ")) else ""
                yield Clause(kind, lead + ref, date_text, m.start(), end)


class SentenceStart:
    """Where the sentence holding a position starts (sentences as the answerer splits them)."""

    def __init__(self, text: str) -> None:
        from accord.language.text import sentence_spans

        self.starts = [s for s, _ in sentence_spans(text)]

    def __call__(self, pos: int) -> int:
        lo = 0
        for s in self.starts:
            if s > pos:
                break
            lo = s
        return lo
