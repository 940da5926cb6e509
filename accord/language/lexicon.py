"""The word lists of ``accord/data/lexicon.yaml``, loaded once, and the stemmer.

Every word list the answerer uses lives in that one data file (stop words, question words,
roles, bodies, months, negation, acronyms, countries, question forms); ingest's lists are in
``parties.yaml`` and ``doc_types.yaml`` beside it, read with ``load_data``. What stays in code
is the grammar of document structure, as the patterns of the modules that read it: headings
("Article 9", "Section 2"), signing blocks ("DONE at ..."), amendment clauses.
``stem`` is the Snowball (Porter 2) stemmer, one stemmer object per thread: Snowball's stemmer
keeps state between calls and is not safe to share between the bot's worker threads.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import snowballstemmer
import yaml

LEXICON_FILE = Path(__file__).resolve().parents[1] / "data" / "lexicon.yaml"
# A word: letters (Latin, accented too) and digits. The one word pattern of the code.
WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+")
_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    s = getattr(_local, "stemmer", None)
    if s is None:
        s = _local.stemmer = snowballstemmer.stemmer("english")
    return s


@functools.lru_cache(maxsize=200_000)
def _stem_english(word: str) -> str:
    return _stemmer().stemWord(spelling(word))


_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")


def figure_of(word: str) -> str | None:
    """The figure of an ordinal written with digits ("12th" -> "12"), else None."""
    m = _ORDINAL.fullmatch(word.lower())
    return m.group(1) if m else None


SPELLINGS_FILE = Path(__file__).resolve().parents[1] / "data" / "spellings.yaml"
_IZE = re.compile(r"^(\w{3,}?)([iy])z(e|es|ed|ing|ation|ations|er|ers)$")
_DOUBLED_L = re.compile(r"^(\w+l)l(ed|ing|er|ers|or|ors)$")


@functools.lru_cache(maxsize=1)
def _spellings() -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    data = yaml.safe_load(SPELLINGS_FILE.read_text(encoding="utf-8")) or {}
    pairs = sorted(
        ((str(k).lower(), str(v).lower()) for k, v in (data.get("words") or {}).items()),
        key=lambda kv: -len(kv[0]),
    )
    return tuple(pairs), frozenset(str(w).lower() for w in data.get("doubled_l") or [])


def spelling(word: str) -> str:
    """``word`` lower-cased in one spelling for British and American English: "-ize" and
    "-yze" as "-ise" and "-yse" ("organization" -> "organisation"), the words of
    accord/data/spellings.yaml in their American form ("defence" -> "defense"), and no doubled
    l before an ending ("travelled" -> "traveled")."""
    w = word.lower()
    m = _IZE.match(w)
    if m:
        return f"{m.group(1)}{m.group(2)}s{m.group(3)}"
    pairs, doubled = _spellings()
    for uk, us in pairs:
        if w.startswith(uk):
            return us + w[len(uk) :]
    m = _DOUBLED_L.match(w)
    if m and m.group(1) in doubled:
        return m.group(1) + m.group(2)
    return w


# The language being read in this thread or task (``reading``): a Malay question and the Malay
# sentences that may answer it are stemmed by the Malay rules, so their roots meet.
_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("accord_language", default="en")


def stem(word: str) -> str:
    """The stem of ``word`` lower-cased: Snowball's ("signed", "signing" -> "sign"), or the
    Malay root while Malay is being read ("ditandatangani" -> "tandatangan")."""
    if _LANGUAGE.get() == "ms":
        from accord.language.malay import stem_malay

        return stem_malay(word.lower())
    return _stem_english(word)


stem.cache_clear = _stem_english.cache_clear  # type: ignore[attr-defined]


@contextlib.contextmanager
def reading(language: str) -> Iterator[None]:
    """Within this block, ``stem`` reads ``language`` ("ms": Malay roots; else English)."""
    token = _LANGUAGE.set(language)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def plain_words(text: str) -> list[str]:
    """Lower-cased word tokens, accents kept (``accord.language.text.words`` folds them)."""
    return [w.lower() for w in WORD.findall(text)]


@dataclass(frozen=True)
class Lexicon:
    stopwords: frozenset[str]
    bm25_stopwords: frozenset[str]
    question_words: frozenset[str]
    interrogatives: frozenset[str]
    noun_interrogatives: frozenset[str]
    generic: frozenset[str]
    roles: frozenset[str]
    bodies: frozenset[str]
    titles: frozenset[str]
    months: frozenset[str]
    weekdays: frozenset[str]
    number_words: frozenset[str]
    money: frozenset[str]
    time_units: frozenset[str]
    measure_units: frozenset[str]
    ordinals: frozenset[str]
    place_prepositions: frozenset[str]
    reported_event_words: frozenset[str]
    own_date_words: frozenset[str]
    message_senders: frozenset[str]
    message_subjects: frozenset[str]
    negation: frozenset[str]
    name_connectors: frozenset[str]
    part_openers: frozenset[str]
    copulas: frozenset[str]
    phrase_ends: frozenset[str]  # words ending the noun phrase after "what" / "which"
    acronym_joiners: frozenset[str]  # small words inside a name its acronym may skip
    title_small_words: frozenset[str]  # lower-case words of a title ("of", "the")
    claim_question_words: frozenset[str]  # a question's verbs an answer repeats, not claims
    frequency_words: frozenset[str]  # "weekly", "annually": answers to "how often"
    clause_openers: frozenset[str]  # after a comma they open a new clause (", unless ...")
    clause_verbs: frozenset[str]  # "... and shall ...": "and" before them joins two clauses
    acronyms: dict[str, tuple[str, ...]]  # acronym -> stems of what it stands for
    country_names: dict[str, str]  # any name, demonym or alias, lower case -> the country
    kinds: tuple[tuple[tuple[str, ...], str], ...]  # (opening words, kind), longest first
    preambles: tuple[re.Pattern[str], ...]
    trailing_kinds: tuple[str, ...]
    kind_nouns: dict[str, str]  # noun -> the kind of answer it asks for (cost -> how_much)
    answer_meta_words: frozenset[str]
    claim_numbers: dict[str, str]  # number word -> digits, for what an answer claims
    evidence_numbers: dict[str, str]  # further number words a passage offers as evidence
    month_order: tuple[str, ...]
    pronouns: frozenset[str]  # words a follow-up leans on the thread with
    followup_openers: tuple[str, ...]  # openings of a follow-up ("and ...", "what about ...")

    def country_stems(self, word: str) -> set[str]:
        """Stems of the other names of the country ``word`` names ("Australian" -> australia)."""
        country = self.country_names.get(word.lower())
        if country is None:
            return set()
        out = {stem(w) for w in plain_words(country)}
        for alias, c in self.country_names.items():
            if c == country and " " not in alias:
                out.add(stem(alias))
        return out


def _set(data: dict, key: str) -> frozenset[str]:
    return frozenset(plain_words(str(data.get(key) or "")))


DATA_DIR = Path(__file__).resolve().parents[1] / "data"


@functools.lru_cache(maxsize=16)
def load_data(name: str) -> Any:
    """A YAML file of ``accord/data`` (word lists and tables code reads), parsed once."""
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=4)
def load_lexicon(path: str | None = None) -> Lexicon:
    """The lexicon in ``path`` (default: the shipped file), read once per process."""
    p = Path(path) if path else LEXICON_FILE
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    skips = _set(data, "acronym_skips")
    acronyms = {
        str(k).lower(): tuple(stem(w) for w in plain_words(str(v)) if w not in skips)
        for k, v in (data.get("acronyms") or {}).items()
    }
    countries: dict[str, str] = {}
    for country, aliases in (data.get("countries") or {}).items():
        countries[str(country).lower()] = str(country)
        for a in aliases or []:
            countries[str(a).lower()] = str(country)
    forms = data.get("question_forms") or {}
    kinds = []
    for kind, openings in (forms.get("kinds") or {}).items():
        for o in openings:
            kinds.append((tuple(plain_words(str(o))), str(kind)))
    kinds.sort(key=lambda x: -len(x[0]))
    return Lexicon(
        stopwords=_set(data, "stopwords"),
        bm25_stopwords=_set(data, "bm25_stopwords"),
        question_words=_set(data, "question_words"),
        interrogatives=_set(data, "interrogatives"),
        noun_interrogatives=_set(data, "noun_interrogatives"),
        generic=_set(data, "generic"),
        roles=_set(data, "roles"),
        bodies=_set(data, "bodies"),
        titles=_set(data, "titles"),
        months=_set(data, "months"),
        weekdays=_set(data, "weekdays"),
        number_words=_set(data, "number_words"),
        money=_set(data, "money"),
        time_units=_set(data, "time_units"),
        measure_units=_set(data, "measure_units"),
        ordinals=_set(data, "ordinals"),
        place_prepositions=_set(data, "place_prepositions"),
        reported_event_words=_set(data, "reported_event_words"),
        own_date_words=_set(data, "own_date_words"),
        message_senders=_set(data, "message_senders"),
        message_subjects=_set(data, "message_subjects"),
        negation=_set(data, "negation"),
        name_connectors=_set(data, "name_connectors"),
        part_openers=_set(data, "part_openers"),
        copulas=_set(data, "copulas"),
        phrase_ends=_set(data, "phrase_ends"),
        acronym_joiners=_set(data, "acronym_joiners"),
        title_small_words=_set(data, "title_small_words"),
        claim_question_words=_set(data, "claim_question_words"),
        frequency_words=_set(data, "frequency_words"),
        clause_openers=_set(data, "clause_openers"),
        clause_verbs=_set(data, "clause_verbs"),
        acronyms=acronyms,
        country_names=countries,
        kinds=tuple(kinds),
        preambles=tuple(re.compile(p, re.I) for p in forms.get("preambles") or []),
        trailing_kinds=tuple(str(t) for t in forms.get("trailing_kinds") or []),
        kind_nouns={
            str(n).lower(): str(k)
            for k, nouns in (forms.get("kind_nouns") or {}).items()
            for n in nouns
        },
        answer_meta_words=_set(data, "answer_meta_words"),
        claim_numbers={str(k): str(v) for k, v in (data.get("claim_numbers") or {}).items()},
        evidence_numbers={str(k): str(v) for k, v in (data.get("evidence_numbers") or {}).items()},
        month_order=tuple(plain_words(str(data.get("month_order") or ""))),
        pronouns=_set(data, "pronouns"),
        followup_openers=tuple(str(o).lower() for o in data.get("followup_openers") or []),
    )


def lexicon() -> Lexicon:
    return load_lexicon(None)


@functools.lru_cache(maxsize=4)
def lexicon_for(language: str) -> Lexicon:
    """The lexicon for questions in ``language``: English's, or for Malay ("ms") English's with
    the Malay question words, kinds, stop words, months and numbers of accord/data/malay.yaml
    added (Malay documents also hold English names and terms)."""
    base = lexicon()
    if language != "ms":
        return base
    from accord.language.malay import malay_data

    data = malay_data()
    sets = {
        key: getattr(base, key) | _set(data, key)
        for key in (
            "stopwords",
            "question_words",
            "months",
            "number_words",
            "place_prepositions",
            "negation",
            "name_connectors",
            "part_openers",
        )
    }
    forms = data.get("question_forms") or {}
    kinds = [
        (tuple(plain_words(str(o))), str(kind))
        for kind, openings in (forms.get("kinds") or {}).items()
        for o in openings
    ]
    kinds = sorted(kinds + list(base.kinds), key=lambda x: -len(x[0]))
    nouns = {
        **base.kind_nouns,
        **{str(n).lower(): str(k) for k, ns in (forms.get("kind_nouns") or {}).items() for n in ns},
    }
    trailing = tuple(str(t) for t in forms.get("trailing_kinds") or []) + base.trailing_kinds
    return dataclasses.replace(
        base, **sets, kinds=tuple(kinds), kind_nouns=nouns, trailing_kinds=trailing
    )
