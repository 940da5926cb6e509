"""Does a text hold the kind of answer a question part asks for, beyond what the question says?

A "when" part is answered by a date, "how many" by a count, "how much" by an amount, "who" by a
person or body, "where" by a place, "which kinds of ..." by an enumeration. ``answer_spans``
finds the pieces of a text that could be such an answer ("what is the name of ..." wants a proper
name); ``has_kind`` says whether one of them is
*new*: not already given by the question (a question that names a year is not answered by a
sentence whose only date is that year, nor a question about a place by a sentence whose only
place is that one). That is what an answer adds to
its question, whatever the question's wording.

Figures are read as counts only when they count: a year, a day of a month, a paragraph number
opening a sentence ("2. The members ...") and a number that is part of a name ("Tier 1",
"Module 2", "A320", "Article 9") are not counts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from accord.language.lexicon import WORD, Lexicon, plain_words

_FIGURE_OR_WORD = re.compile(r"\d[\d,]*(?:\.\d+)?|[A-Za-z\u00c0-\u024f]+")
_YEAR = re.compile(r"\b(1[6-9]\d\d|20\d\d)\b")
_NUMERIC_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b")
_CURRENCY = re.compile(
    r"[$€£¥]\s?\d[\d,.]*(?:\s?(?:[mb]n|[mb]\b))?|\b[A-Z]{2,3}\$?\s?\d[\d,.]*"
    r"|\d[\d,.]*\s?[A-Z]{3}\b"
)
_PERCENT = re.compile(r"\d[\d,.]*\s?(?:%|per ?cent\b|percent\b|percentage points?\b)", re.I)
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")
_ENUMERATOR = re.compile(r"^\s*(?:[(\[]?\d{1,3}[.)\]]|\d{1,3}(?:\.\d{1,3})+)\s")
# A number that belongs to a name: glued to a capitalised word or acronym ("A320", "ISO-9001",
# "5G"), or after a capitalised word inside a sentence ("Tier 1", "Module 2", "Article 9").
_GLUED_NUMBER = re.compile(r"\b[A-Z][\w]*-?(\d+)\b|\b(\d+)[A-Z]\w*\b")
_AFTER_NAME = re.compile(r"(?<=[\w,;] )[A-Z][\w]* (\d+)\b")

KINDS = ("when", "who", "where", "how_many", "how_much", "how_long", "list", "name", "quantity")


@functools.lru_cache(maxsize=8)
def _cap_run(connectors: frozenset[str]) -> re.Pattern[str]:
    """Runs of capitalised words, with the lexicon's name connectors inside ("Ministry of Home
    Affairs")."""
    inner = "|".join(sorted(map(re.escape, connectors)))
    return re.compile(rf"\b[A-Z][\w'’-]*(?:\s+(?:(?:{inner})\s+)*[A-Z][\w'’-]*)+")


def cap_runs(
    text: str, lex: Lexicon, also: frozenset[str] = frozenset()
) -> Iterable[re.Match[str]]:
    """Runs of capitalised words in ``text``, joined by the lexicon's name connectors and by the
    words in ``also``."""
    return _cap_run(lex.name_connectors | also).finditer(text)


@functools.lru_cache(maxsize=8)
def _day_month(months: frozenset[str]) -> re.Pattern[str]:
    """A day and a month, a month and a day, or a month and a year, in the given months."""
    alts = "|".join(sorted((re.escape(m) for m in months if m != "may"), key=len, reverse=True))
    month_re = rf"(?:{alts}|May)"
    return re.compile(
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{month_re}\b\.?,?(?:\s+\d{{4}})?"
        rf"|\b{month_re}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b,?(?:\s+\d{{4}})?"
        rf"|\b{month_re}\.?,?\s+\d{{4}}\b",
        re.I,
    )


def _dates(text: str, lex: Lexicon) -> list[str]:
    out = [m.group(0) for m in _NUMERIC_DATE.finditer(text)]
    for m in _day_month(lex.months).finditer(text):
        if m.group(0)[:1].isdigit() or m.group(0)[:1].isupper() or "may" not in m.group(0).lower():
            out.append(m.group(0))
    out += [m.group(0) for m in _YEAR.finditer(text)]
    low = set(plain_words(text))
    out += [w for w in low & lex.months if w != "may"]
    return out


def _date_parts(text: str, lex: Lexicon) -> set[str]:
    """The numbers that are days or years of dates in ``text`` (not counts)."""
    out: set[str] = set()
    for d in _dates(text, lex):
        out.update(re.findall(r"\d+", d))
    return out


def _counts(text: str, lex: Lexicon) -> list[str]:
    skip = _date_parts(text, lex)
    named = {m.group(1) or m.group(2) for m in _GLUED_NUMBER.finditer(text)}
    named |= {m.group(1) for m in _AFTER_NAME.finditer(text)}
    body = _ENUMERATOR.sub(" ", text, count=1)
    # a sum of money ("$8 million") or a percentage is an amount, not a count of things
    body = _PERCENT.sub(" ", _CURRENCY.sub(" \x00", body))
    body = re.sub(
        r"\x00\s*(\w+)",
        lambda m: " " if m.group(1).lower() in lex.number_words else " " + m.group(1),
        body,
    )
    out = [
        m.group(0)
        for m in _NUMBER.finditer(body)
        if m.group(0).replace(",", "") not in skip and m.group(0) not in named
    ]
    out += [w for w in plain_words(body) if w in lex.number_words]
    return out


def _amounts(text: str, lex: Lexicon) -> list[str]:
    out = [m.group(0) for m in _CURRENCY.finditer(text)]
    out += [m.group(0) for m in _PERCENT.finditer(text)]
    toks = _FIGURE_OR_WORD.findall(text)  # "2.5 kilograms": a decimal stays one token
    counts = set(_counts(text, lex))
    for i, t in enumerate(toks):
        # "$4 million", "six months" ("how much notice" is answered by a period)
        if (
            (
                t.lower() in lex.money
                or t.lower() in lex.time_units
                or t.lower() in lex.measure_units
            )
            and i
            and (toks[i - 1] in counts or toks[i - 1].lower() in lex.number_words)
        ):
            out.append(f"{toks[i - 1]} {t}")
    return out


def _periods(text: str, lex: Lexicon) -> list[str]:
    """Counts of time or length (how long): a count, then a unit of time or measure, a
    bracketed figure between ("five (5) years", "18 months", "a 28-month delay", "412
    kilometres"); a count of anything else ("a third party", "two officers") is none."""
    counts = set(_counts(text, lex))
    out = []
    for m in _period_re(lex.time_units | lex.measure_units).finditer(text):
        first = m.group(1)
        if first in counts or all(w in lex.number_words for w in first.lower().split("-")):
            out.append(m.group(0))
    return out


@functools.lru_cache(maxsize=4)
def _period_re(units: frozenset[str]) -> re.Pattern[str]:
    alt = "|".join(sorted(map(re.escape, units), key=len, reverse=True))
    return re.compile(
        rf"\b(\d[\d,]*(?:\.\d+)?|[A-Za-z]+(?:-[A-Za-z]+)?)[\s-]*(?:\(\s*\d[\d,]*\s*\)\s*)?"
        rf"(?:{alt})\b",
        re.I,
    )


def _frequencies(text: str, lex: Lexicon) -> list[str]:
    """ "weekly", "every Tuesday", "every two years", "each quarter": how often something
    happens."""
    low = plain_words(text)
    out = [w for w in low if w in lex.frequency_words]
    units = lex.weekdays | lex.time_units | lex.number_words
    out += [
        f"{a} {b}"
        for a, b in zip(low, low[1:], strict=False)
        if a in ("every", "each") and b in units
    ]
    # "once a year", "twice a month", "three times per year"
    out += [m.group(0) for m in _TIMES_PER.finditer(text)]
    return out


_TIMES_PER = re.compile(
    r"\b(?:once|twice|thrice|\w+\s+times)\s+(?:a|an|per|each|every)\s+\w+", re.I
)


def _someone(text: str, lex: Lexicon) -> list[str]:
    """People and bodies: a title before a capitalised word, a capitalised body word, a run of
    two or more capitalised words that does not open the sentence, or a country by its name
    opening it ("Canada is financing the project")."""
    toks = WORD.findall(text)
    out = toks[:1] if toks and lex.country_names.get(toks[0].lower()) == toks[0] else []
    for i, t in enumerate(toks):
        low = t.lower()
        if low in lex.bodies and t[:1].isupper():
            out.append(t)
        if low in lex.titles and i + 1 < len(toks) and toks[i + 1][:1].isupper():
            out.append(toks[i + 1])
    out += [
        m.group(0) for m in cap_runs(text, lex) if m.start() > 0 and len(m.group(0).split()) >= 2
    ]
    return out


def _places(text: str, lex: Lexicon) -> list[str]:
    # a preposition, up to three small words ("at the port of", "di pelabuhan"), then a name,
    # perhaps in quotes ("at 'Greenhill'")
    preps = "|".join(sorted(lex.place_prepositions))
    out = [
        m.group(1).rstrip("'’")
        for m in re.finditer(
            rf"\b(?:{preps})\s+(?:[a-z][\w'’-]*\s+){{0,3}}['‘\"“]?([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)",
            text,
        )
    ]
    return out


def _names(text: str, lex: Lexicon) -> list[str]:
    """Proper names: runs of capitalised words that do not open the sentence (a month or a
    weekday alone is a date, not a name)."""
    return [
        m.group(0)
        for m in re.finditer(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*", text)
        if m.start() > 0 and m.group(0).lower() not in lex.months | lex.weekdays
    ]


_ITEM = re.compile(r"(?:^|\s)[(\[]?(?:[a-z]|[ivx]{1,4}|\d{1,2})[)\]]\s|^\s*[-•*]\s", re.M)


def _items(text: str) -> list[str]:
    """The items of an enumeration: "(a) ... (b) ...", bullet lines, or three or more
    comma or semicolon separated pieces."""
    marks = list(_ITEM.finditer(text))
    if len(marks) >= 2:
        return [
            text[m.end() : n.start() if n else len(text)].strip()
            for m, n in zip(marks, marks[1:] + [None], strict=True)
        ]
    pieces = [p.strip() for p in re.split(r"[;,]", text) if p.strip()]
    return pieces if len(pieces) >= 3 else []


def answer_spans(kind: str, text: str, lex: Lexicon) -> list[str] | None:
    """The pieces of ``text`` that could answer a part of ``kind``; None for kinds any sentence
    may answer ("what", yes/no)."""
    if kind == "when":
        return _dates(text, lex)
    if kind == "how_many":
        return _counts(text, lex)
    if kind == "how_long":
        return _periods(text, lex) + _frequencies(text, lex)
    if kind == "how_much":
        return _amounts(text, lex)
    if kind == "quantity":  # a language's one word for "how many" and "how much"
        return _counts(text, lex) + _amounts(text, lex)
    if kind == "who":
        return _someone(text, lex)
    if kind == "where":
        return _places(text, lex)
    if kind == "list":
        return _items(text)
    if kind == "name":
        return _names(text, lex)
    return None


def given_words(question: str) -> frozenset[str]:
    """The words (lower case) and digit strings a question already gives."""
    return frozenset(plain_words(question)) | frozenset(
        d.replace(",", "") for d in re.findall(r"\d[\d,]*", question)
    )


def _is_given(span: str, given: frozenset[str], lex: Lexicon) -> bool:
    """Every word of ``span`` that carries meaning (not a stop word) is in the question."""
    words = [w for w in plain_words(span) if w not in lex.stopwords]
    if len(words) > 1 and "".join(w[0] for w in words) in given:
        return True  # "Lortan Coast Guard" for a question that says "LCG"
    return bool(words) and all(w in given or w.replace(",", "") in given for w in words)


def has_kind(kind: str, text: str, lex: Lexicon, given: frozenset[str] | None = None) -> bool:
    """``text`` holds the kind of answer asked for; with ``given`` (the question's words), one
    that the question does not already give."""
    spans = answer_spans(kind, text, lex)
    if spans is None:
        return True
    if given is None:
        return bool(spans)
    return any(not _is_given(s, given, lex) for s in spans)


def new_spans(
    kind: str, text: str, lex: Lexicon, given: frozenset[str] = frozenset()
) -> list[str] | None:
    """The pieces of ``text`` that answer a part of ``kind`` and that the question (its words
    ``given``) does not already give; None for kinds any sentence may answer."""
    spans = answer_spans(kind, text, lex)
    if spans is None:
        return None
    return [s for s in spans if not _is_given(s, given, lex)]


def counts_in(text: str, lex: Lexicon) -> list[str]:
    """The counts in ``text`` (figures and number words that count, as for "how many")."""
    return _counts(text, lex)


def names_someone(text: str, lex: Lexicon) -> bool:
    """A person or a body is named in ``text``."""
    return bool(_someone(text, lex))


__all__ = [
    "KINDS",
    "answer_spans",
    "cap_runs",
    "counts_in",
    "given_words",
    "has_kind",
    "names_someone",
    "new_spans",
]
