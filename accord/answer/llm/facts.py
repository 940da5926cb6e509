"""What a sentence states and what a passage makes available, as comparable keys.

The citation check (:mod:`accord.answer.llm.citecheck`) compares the two. Keys:

- ``n:2023`` a figure (digits; in passages also number words: "six (6) months" gives ``n:6``);
- ``u:72 hour`` a figure with the word it counts, so "every two years" is not supported by a
  passage that speaks of "the two sides" and a "five-year" term;
- ``m:november`` a month, and ``d:14 november`` / ``d:november 2023`` the parts of a date that
  must appear together; ISO dates are spelled out first ("2023-11-14" -> "14 November 2023");
- ``w:arvelo`` a word of a name: capitalised words of the sentence; in passages, every word.

A capitalised first word counts as a name only when the next word is capitalised too (or it is
an acronym), because sentence case makes every first word look like one.
"""

from __future__ import annotations

import re

from accord.language.dates import MONTH_OF, MONTH_OR_ABBREVIATION, MONTHS, month_name
from accord.language.lexicon import lexicon, stem
from accord.language.text import words

STOPWORDS = lexicon().stopwords  # noqa: F811

_LEX = lexicon()
_QUESTION_WORDS = _LEX.question_words | _LEX.claim_question_words
# Words about the answering itself ("Sure, based on the sources provided, ..."), not claims.
META_WORDS = _LEX.answer_meta_words
# Number words a claim is held to ("one" is too often a pronoun to count as a figure).
CLAIM_NUMBER_WORDS = dict(_LEX.claim_numbers)
# Number words a passage offers as evidence.
NUMBER_WORDS = CLAIM_NUMBER_WORDS | dict(_LEX.evidence_numbers)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_CAPWORD = re.compile(r"\b[A-Z][A-Za-z\u00c0-\u024f'\u2019-]*")
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[A-Za-z\u00c0-\u024f]+")
_ORDINAL_SUFFIX = frozenset({"st", "nd", "rd", "th"})
_MONTH_RE = MONTH_OR_ABBREVIATION
_DAY_MONTH = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_RE + r"(?:,?\s+(\d{4}))?\b", re.I
)
_MONTH_DAY = re.compile(r"\b" + _MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)
_MONTH_YEAR = re.compile(r"\b" + _MONTH_RE + r",?\s+(\d{4})\b", re.I)


def normalise(text: str) -> str:
    """Spell ISO dates as "14 November 2023" so they meet the dates written in passages."""
    return _ISO_DATE.sub(
        lambda m: (
            f"{int(m.group(3))} {MONTHS[int(m.group(2)) - 1].title()} {m.group(1)}"
            if 1 <= int(m.group(2)) <= 12
            else m.group(0)
        ),
        text,
    )


def content_stems(text: str) -> set[str]:
    """Light-stemmed content words: no stop words, question or meta words, figures, months."""
    return {
        stem(w)
        for w in words(normalise(text))
        if len(w) > 1
        and not w[0].isdigit()
        and w not in STOPWORDS
        and w not in _QUESTION_WORDS
        and w not in MONTH_OF
        and w not in META_WORDS
        and w not in NUMBER_WORDS
    }


def dates(text: str) -> set[str]:
    """``d:`` keys: day with month and month with year, for each date written in ``text``."""
    text = normalise(text)
    out: set[str] = set()

    month = month_name

    for m in _DAY_MONTH.finditer(text):
        out.add(f"d:{int(m.group(1))} {month(m.group(2))}")
        if m.group(3):
            out.add(f"d:{month(m.group(2))} {m.group(3)}")
    for m in _MONTH_DAY.finditer(text):
        out |= {f"d:{int(m.group(2))} {month(m.group(1))}", f"d:{month(m.group(1))} {m.group(3)}"}
    for m in _MONTH_YEAR.finditer(text):
        out.add(f"d:{month(m.group(1))} {m.group(2)}")
    return out


def figures(text: str, number_words: dict[str, str]) -> set[str]:
    """``n:`` and ``u:`` keys of the figures in ``text`` (number words from ``number_words``)."""
    toks = [t.group(0) for t in _TOKEN.finditer(normalise(text))]
    out: set[str] = set()
    for i, tok in enumerate(toks):
        low = tok.lower()
        if tok[0].isdigit():
            value = _num(tok)
        elif low in number_words:
            value = number_words[low]
        else:
            continue
        out.add(f"n:{value}")
        j = i + 1  # the counted word: skip "(6)" after "six" and "th" after "14"
        while (
            j < len(toks)
            and j <= i + 2
            and (toks[j][0].isdigit() or toks[j].lower() in _ORDINAL_SUFFIX)
        ):
            j += 1
        if j < len(toks):
            unit = toks[j].lower()
            if (
                unit.isalpha()
                and len(unit) > 2
                and unit not in STOPWORDS
                and unit not in MONTH_OF
                and unit not in NUMBER_WORDS
            ):
                out.add(f"u:{value} {stem(unit)}")
    return out


def claimed_facts(sentence: str) -> set[str]:
    """The figures, dates and names a sentence states, as comparable keys."""
    text = normalise(sentence)
    facts = figures(text, CLAIM_NUMBER_WORDS) | dates(text)
    tokens = list(_CAPWORD.finditer(text))
    first = re.search(r"[A-Za-z]", text)
    for i, m in enumerate(tokens):
        tok = m.group(0)
        at_start = first is not None and m.start() == first.start()
        nxt_cap = i + 1 < len(tokens) and text[m.end() : tokens[i + 1].start()].strip() == ""
        if at_start and not nxt_cap and not tok.isupper():
            continue
        for w in words(tok):
            if w in MONTH_OF:
                facts.add(f"m:{MONTH_OF[w]}")
            elif (
                len(w) > 1
                and w not in STOPWORDS
                and w not in META_WORDS
                and w not in NUMBER_WORDS
                and not w.isdigit()
            ):
                facts.add(f"w:{w}")
    return facts


def available_facts(text: str) -> set[str]:
    """Every figure, month and word a passage makes available (a superset of what it claims)."""
    text = normalise(text)
    facts = figures(text, NUMBER_WORDS) | dates(text)
    for w in words(text):
        if w in MONTH_OF:
            facts.add(f"m:{MONTH_OF[w]}")
        facts.add(f"w:{w}")
    return facts


def describe(fact: str) -> str:
    """A fact key as a person reads it: "u:2 year" -> "2 year"."""
    return fact.split(":", 1)[1]


def _num(s: str) -> str:
    s = s.replace(",", "")
    if "." in s:
        return s.rstrip("0").rstrip(".")
    return str(int(s))
