"""The Malay stemmer: affix stripping for Bahasa Melayu, rules from ``accord/data/malay.yaml``.

Malay builds words from roots with prefixes (meN-, di-, ber-, ter-, ke-, peN-, se-), suffixes
(-kan, -an, -i) and particles (-lah, -nya): "menandatangani" (to sign) and "ditandatangani"
(was signed) share the root "tandatangan". Without a dictionary a stemmer cannot always know
where the root ends; what matters here is that a question's word and a document's word of one
root meet, so the same rules run on both. Words listed as roots in the data file are kept whole.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

MALAY_FILE = Path(__file__).resolve().parents[1] / "data" / "malay.yaml"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class MalayRules:
    min_stem: int
    particles: tuple[str, ...]
    possessives: tuple[str, ...]
    suffixes: tuple[str, ...]
    plain_prefixes: tuple[str, ...]
    nasal: tuple[tuple[str, str, str], ...]
    roots: frozenset[str]


@functools.lru_cache(maxsize=1)
def malay_data() -> dict:
    """The parsed ``accord/data/malay.yaml`` (read once per process)."""
    return yaml.safe_load(MALAY_FILE.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def rules() -> MalayRules:
    s = malay_data()["stemmer"]
    return MalayRules(
        int(s["min_stem"]),
        tuple(s["particles"]),
        tuple(s["possessives"]),
        tuple(s["suffixes"]),
        tuple(sorted(s["plain_prefixes"], key=len, reverse=True)),
        tuple((str(p), str(after), str(repl or "")) for p, after, repl in s["nasal"]),
        frozenset(str(s["roots"]).split()),
    )


def _ok(stem: str, r: MalayRules) -> bool:
    return len(stem) >= r.min_stem and any(c in _VOWELS for c in stem)


def _strip_end(word: str, endings: tuple[str, ...], r: MalayRules) -> str:
    for e in endings:
        if word.endswith(e):  # the first ending the word has decides ("adakan" keeps "an")
            return word[: -len(e)] if _ok(word[: -len(e)], r) else word
    return word


def _strip_prefix(word: str, r: MalayRules) -> str:
    for prefix in r.plain_prefixes:
        if word.startswith(prefix) and _ok(word[len(prefix) :], r):
            return word[len(prefix) :]
    for prefix, after, repl in r.nasal:
        if word.startswith(prefix) and len(word) > len(prefix):
            nxt = word[len(prefix)]
            if (after == "v" and nxt in _VOWELS) or (after != "v" and nxt in after):
                cand = repl + word[len(prefix) :]
                if _ok(cand, r):
                    return cand
    return word


@functools.lru_cache(maxsize=200_000)
def stem_malay(word: str) -> str:
    """The root of a lower-cased Malay ``word`` as the rules find it ("ditandatangani" ->
    "tandatangan"); a word the rules do not change is returned as it is."""
    r = rules()
    w = word.lower()
    if w in r.roots or not w.isalpha():
        return w
    w = _strip_end(w, r.particles, r)
    w = _strip_end(w, r.possessives, r)
    if w in r.roots:
        return w
    w = _strip_prefix(w, r)  # one prefix: double ones (memper-, diper-) are listed whole
    if w in r.roots:
        return w
    return _strip_end(w, r.suffixes, r)


@functools.lru_cache(maxsize=1)
def type_patterns() -> dict[str, re.Pattern[str]]:
    """Document type -> a pattern of the Malay words that name it (``doc_types``)."""
    out: dict[str, re.Pattern[str]] = {}
    for dtype, phrases in (malay_data().get("doc_types") or {}).items():
        alts = "|".join(r"\s+".join(map(re.escape, str(p).split())) for p in phrases)
        out[str(dtype)] = re.compile(rf"\b(?:{alts})\b", re.I)
    return out


@functools.lru_cache(maxsize=1)
def date_pattern() -> tuple[re.Pattern[str], tuple[str, ...]]:
    """A date as Malay writes it ("12 Ogos 2025") and the months in order."""
    months = tuple(str(malay_data().get("month_order") or "").split())
    alts = "|".join(months)
    return re.compile(rf"\b(\d{{1,2}})\s+({alts})\s+(\d{{4}})\b", re.I), months
