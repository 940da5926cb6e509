"""Which language a block of text or a question is in, and how each language is tokenised.

Accord reads English and Malay. ``detect`` counts the function words of each language's profile
(``accord/data/malay.yaml``): cheap, deterministic and good enough to tell a Malay paragraph
from an English one, which is all the index needs. ``analyse`` gives the lexical index its
tokens: English as before (lower-cased words), Malay without Malay stop words and reduced to
roots by :mod:`accord.language.malay`, so "ditandatangani" in a question meets "menandatangani" in a
document. ``embedding_notice`` says when the embedding model cannot read Malay for meaning.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from accord.language.malay import malay_data, stem_malay
from accord.language.text import words

ENGLISH, MALAY, UNKNOWN = "en", "ms", "und"
NAMES = {ENGLISH: "English", MALAY: "Malay"}


@functools.lru_cache(maxsize=1)
def _profiles() -> dict[str, frozenset[str]]:
    return {
        lang: frozenset(str(ws).split())
        for lang, ws in (malay_data().get("profiles") or {}).items()
    }


@functools.lru_cache(maxsize=1)
def malay_stopwords() -> frozenset[str]:
    return frozenset(str(malay_data().get("stopwords") or "").split())


def detect(text: str, min_hits: int = 1) -> str:
    """ "en", "ms", or "und" when neither language's function words are there (a name, a
    number) or both are equally there. Looks at the first 400 words."""
    toks = words(text)[:400]
    profiles = _profiles()
    hits = {lang: sum(1 for t in toks if t in ws) for lang, ws in profiles.items()}
    best = max(hits, key=lambda k: hits[k]) if hits else UNKNOWN
    if best == UNKNOWN or hits[best] < min_hits:
        return UNKNOWN
    if sum(1 for v in hits.values() if v == hits[best]) > 1:
        return UNKNOWN
    return best


def analyse(text: str, language: str | None, english_stop: Iterable[str]) -> list[str]:
    """The lexical index's tokens of ``text`` in ``language``: Malay text loses Malay stop words
    and is stemmed; anything else is tokenised as English (``english_stop`` left out)."""
    if language == MALAY:
        # The root serves Malay questions; the word as written still serves English ones (a
        # name, an English term in a Malay paragraph).
        stop = malay_stopwords()
        out: list[str] = []
        for t in words(text):
            if t not in stop:
                root = stem_malay(t)
                out.append(root)
                if root != t:
                    out.append(t)
        return out
    stop_en = english_stop if isinstance(english_stop, (set, frozenset)) else set(english_stop)
    return [t for t in words(text) if t not in stop_en]


def english_only(model_name: str) -> bool:
    """Whether ``model_name`` (a name or a path) is an English-only model this file knows."""
    known = (malay_data().get("embeddings") or {}).get("english_only") or []
    base = model_name.rstrip("/").rsplit("/", 1)[-1]
    return base in known


def multilingual_model() -> str:
    """The multilingual sentence-transformers model the notice suggests."""
    return str((malay_data().get("embeddings") or {}).get("multilingual") or "")


def embedding_notice(question_language: str, model_name: str) -> str | None:
    """For a question not in English asked of an English-only embedding model: what that means
    and what an admin can set instead. None otherwise."""
    if question_language in (ENGLISH, UNKNOWN) or not english_only(model_name):
        return None
    lang = NAMES.get(question_language, question_language)
    return (
        f"The embedding model ({model_name}) understands English only: this {lang} "
        f"question was matched to {lang} text by its words, not its meaning. An admin can "
        f"set ACCORD_EMBEDDING_MODEL={multilingual_model()} (a multilingual "
        "sentence-transformers model) and re-ingest with --full."
    )


class _Passage(Protocol):
    """What ``prefer_language`` reads of a retrieved passage (``accord.models.RetrievedChunk``)."""

    @property
    def source(self) -> str: ...

    @property
    def metadata(self) -> dict[str, Any]: ...


P = TypeVar("P", bound=_Passage)


def prefer_language(chunks: list[P], language: str) -> list[P]:
    """Of a bilingual document (both texts equally authentic), keep the passages in the asker's
    ``language`` when retrieval found that version; other documents are left as they are."""
    if language == UNKNOWN:
        return chunks
    have = {
        c.source
        for c in chunks
        if c.metadata.get("language") == language and c.metadata.get("doc_languages")
    }
    return [
        c
        for c in chunks
        if c.source not in have
        or not c.metadata.get("doc_languages")
        or c.metadata.get("language") in (language, UNKNOWN, None)
    ]
