"""The words that answer: each part of an answer opens with a lead, then its ``[n]`` marker.

A part's lead is the clause of its quoted sentence that holds the detail the part asks for (a
date for "when", a person or body for "who", a figure, a period, a place), found by
``accord.answer.kinds.new_spans`` (a detail the question already gives does not count). A part
that asks for no such detail ("what was agreed ...") is led by its whole sentence. The lead is a
piece of the verbatim quote, reflowed as the page shows it (line breaks joined); where it
leaves out the start or the end of the sentence it
says so with "…", so an officer can always find it in the quote under Sources.

Clauses end at a semicolon or colon, at a line of a block (a signing block's lines), before
", <opener>" ("..., unless ...") and before "and <verb>" ("... ten (10) years from its entry
into force and shall thereafter ..."); the openers and verbs are lexicon words
(``clause_openers``, ``clause_verbs``). A clause of fewer than ``MIN_WORDS`` words takes the
clause before it ("Signed at the capital | on 2 May 2021").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TypedDict

from accord.answer.kinds import new_spans
from accord.language.lexicon import Lexicon, stem
from accord.language.text import reflow, words

MIN_WORDS = 6  # a lead shorter than this reads as a fragment: it takes the clause before it
WHOLE_SHARE = 0.8  # a clause this much of its sentence is given as the whole sentence
MAX_WHO_WORDS = 45  # a "who" lead spans every name it holds, up to this many words
MAX_WORDS = 24  # a longer clause is cut to the words around the detail, as a window of
WINDOW = 8  # this many words either side
NEAR = 10  # words either side of a detail where the question's words are looked for
LONG_LINE = 60  # a line this long was wrapped by the page, not ended by the writer
ELLIPSIS = "\u2026"
_ENUMERATOR = re.compile(
    r"^\s*(?:\(?[0-9]{1,3}[.)]|[0-9]{1,3}(?:\.[0-9]{1,3})+\.?|\([a-z]{1,4}\)|[-\u2022*])\s+"
)
_BARE_YEAR = re.compile(r"\d{4}")
_AGENT = re.compile(r"\bby\s+whom\b", re.I)


def asks_agent(part: str) -> bool:
    """The part asks who did what the question says ("signed ..., and by whom?")."""
    return bool(_AGENT.search(part))


class LeadShown(TypedDict):
    """A lead as an answer's part shows it (``Answer.parts[i]["leads"]``, ``--json``): the
    citation's number, the lead's text, and whether it is the whole quote."""

    n: int
    text: str
    whole: bool


@dataclass(frozen=True)
class Lead:
    """A part's lead: offsets in its sentence, and whether it is the whole sentence."""

    start: int
    end: int
    whole: bool

    def text(self, sentence: str) -> str:
        """The lead reflowed, with "…" where it leaves out the start or end of the sentence."""
        body = reflow(sentence[self.start : self.end])
        if self.whole:
            return body
        head = "" if not _ENUMERATOR.sub("", sentence[: self.start]).strip() else ELLIPSIS
        tail = "" if not sentence[self.end :].strip(" \t\n.;:,") else ELLIPSIS
        return f"{head}{body}{tail}"


def lead_of(
    sentence: str,
    kind: str,
    given: frozenset[str],
    lex: Lexicon,
    agent: bool = False,
    contrast: frozenset[str] = frozenset(),
) -> Lead:
    """The lead of a part of ``kind`` answered by ``sentence`` (``given``: the question's
    words, see ``accord.answer.kinds.given_words``; ``agent``: the part asks "by whom", so the
    names after "by" lead; ``contrast``: words the part negates, see ``contrasted``)."""
    whole = Lead(0, len(sentence), True)
    spans = new_spans(kind, sentence, lex, given) if kind != "list" else None
    if not spans:
        return whole
    found = sorted((i, len(s)) for s in spans if (i := _find(sentence, s)) >= 0)
    if not found:
        return whole
    after_by = (
        [i for i, _n in found if re.search(r"\bby\s+(?:\S+\s+)?$", sentence[max(0, i - 30) : i])]
        if agent
        else []
    )
    if after_by:  # "by whom": the names from the first one after "by"
        found = [f for f in found if f[0] >= after_by[0]]
    else:  # the detail among the question's words ("2.5 kilograms of the goods ...")
        if kind == "when" and "year" not in given:
            # a day or a month before a bare year ("in May 2012" > "2004"), unless a year is
            # what the part asks for
            dated = [(i, n) for i, n in found if not _BARE_YEAR.fullmatch(sentence[i : i + n])]
            found = dated or found
        if contrast:  # not a detail said of the case the question sets aside
            found = [(i, n) for i, n in found if not _said_of(sentence, i, contrast)] or found
        near = [_nearby(sentence, i, n, given, lex) for i, n in found]
        found = found[near.index(max(near)) :]
    clauses = _clauses(sentence, lex)
    first = last = _clause_at(clauses, found[0][0])
    stop = found[0][0] + found[0][1]  # the end of the details the lead must hold
    if kind == "who":  # every name the sentence gives, while the lead stays short
        far = max(i + n for i, n in found)
        if _words(sentence[found[0][0] : far]) <= MAX_WHO_WORDS:
            last, stop = _clause_at(clauses, far - 1), far
    while _words(sentence[clauses[first][0] : clauses[last][1]]) < MIN_WORDS and (
        first > 0 or last < len(clauses) - 1
    ):
        if first > 0:
            first -= 1
        else:
            last += 1
    start, end = clauses[first][0], clauses[last][1]
    if _words(sentence[start:end]) > MAX_WORDS:
        start, end = _window(sentence, start, end, found[0][0], stop)
    while start < end and sentence[start].isspace():
        start += 1
    m = _ENUMERATOR.match(sentence, start)
    if m and m.end() < end:
        start = m.end()
    while end > start and sentence[end - 1] in " \t\n,;:.":
        end -= 1
    body = len(sentence.rstrip(" \t\n.;:"))
    if start == 0 and end >= body or (end - start) >= WHOLE_SHARE * len(sentence):
        return whole
    return Lead(start, end, False)


def _window(sentence: str, start: int, end: int, at: int, stop: int) -> tuple[int, int]:
    """The words of ``sentence[start:end]`` from ``WINDOW`` words before ``at`` to ``WINDOW``
    words after ``stop`` (the details the lead must hold)."""
    toks = [(m.start(), m.end()) for m in re.finditer(r"\S+", sentence[:end]) if m.start() >= start]
    if not toks:
        return start, end
    first = next((i for i, (_a, b) in enumerate(toks) if b > at), 0)
    last = next((i for i, (_a, b) in enumerate(toks) if b >= stop), len(toks) - 1)
    lo, hi = max(0, first - WINDOW), min(len(toks) - 1, last + WINDOW)
    return toks[lo][0], toks[hi][1]


def _nearby(sentence: str, at: int, length: int, given: frozenset[str], lex: Lexicon) -> float:
    """How close the question's words (by stem, stop words aside) stand to the detail at
    ``sentence[at:at + length]``: each one within ``NEAR`` words counts 1 / (1 + its distance in
    words)."""
    before = words(sentence[:at])[-NEAR:]
    after = words(sentence[at + length :])[:NEAR]
    # (the words that name the kind of answer, "date", "year", "cost", are not its context)
    wanted = {
        stem(w)
        for w in given
        if w not in lex.stopwords and w not in lex.kind_nouns and not w.isdigit()
    }
    score = 0.0
    for dist, w in list(enumerate(reversed(before))) + list(enumerate(after)):
        if stem(w) in wanted:
            score += 1.0 / (1 + dist)
    return score


def _said_of(sentence: str, at: int, contrast: frozenset[str]) -> bool:
    """The detail at ``sentence[at:]`` is said of a case the question sets aside: a word of
    ``contrast`` stands within ``NEAR`` words before it ("a resident applicant within 10 days"
    for a question about non-resident ones)."""
    return _names_case(words(sentence[:at]), contrast, NEAR)


def mentions(sentence: str, contrast: frozenset[str]) -> bool:
    """``sentence`` names a case the question sets aside (a word of ``contrast``)."""
    ws = words(sentence)
    return _names_case(ws, contrast, len(ws))


def _names_case(ws: list[str], contrast: frozenset[str], last: int) -> bool:
    """A word of ``contrast`` among the ``last`` words of ``ws``, not itself after "non"."""
    return any(
        stem(ws[k]) in contrast and (k == 0 or ws[k - 1] != "non")
        for k in range(max(0, len(ws) - last), len(ws))
    )


_NON = re.compile(r"\bnon[- ]([a-z]+)", re.I)


def contrasted(question: str) -> frozenset[str]:
    """The stems of the words a question negates with "non-" ("resident" in "a non-resident
    applicant"): a detail said of them is said of the other case."""
    return frozenset(stem(m.group(1).lower()) for m in _NON.finditer(question))


def _find(sentence: str, span: str) -> int:
    i = sentence.find(span)
    if i < 0:
        i = sentence.lower().find(span.lower())
    return i


def _words(text: str) -> int:
    return len(text.split())


@functools.lru_cache(maxsize=4)
def _breaks(openers: frozenset[str], verbs: frozenset[str]) -> re.Pattern[str]:
    o = "|".join(sorted(map(re.escape, openers)))
    v = "|".join(sorted(map(re.escape, verbs)))
    return re.compile(
        rf"[;:](?=\s)|\s[\u2013\u2014-]\s|\n|,(?=\s+(?:{o})\b)"
        rf"|\s(?=and\s+(?:{v})\b)",
        re.I,
    )


def _clauses(sentence: str, lex: Lexicon) -> list[tuple[int, int]]:
    """(start, end) of each clause of ``sentence``, covering it in order. A line break ends a
    clause after a blank line, after a line that ends with a stop or a comma, or after a short
    line when the next opens in capitals or with an item mark (a signing block's lines); not
    where a page wraps a sentence ("the report covers\nfour regions")."""
    cuts = [0]
    for m in _breaks(lex.clause_openers, lex.clause_verbs).finditer(sentence):
        if m.group(0) == "\n":
            line = sentence[sentence.rfind("\n", 0, m.start()) + 1 : m.start()].strip()
            nxt = sentence[m.end() : m.end() + 12].lstrip(" \t")
            ends = not line or line[-1] in ".;:," or nxt[:1] == "\n"
            opens = nxt[:1].isupper() or bool(_ENUMERATOR.match(nxt))
            if not (ends or (len(line) < LONG_LINE and opens)):
                continue
        if m.end() > cuts[-1]:
            cuts.append(m.end())
    cuts.append(len(sentence))
    out = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if sentence[a:b].strip()]
    return out or [(0, len(sentence))]


def _clause_at(clauses: list[tuple[int, int]], at: int) -> int:
    for i, (a, b) in enumerate(clauses):
        if a <= at < b:
            return i
    return len(clauses) - 1
