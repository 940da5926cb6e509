"""Text utilities shared by chunking and answering: sentence spans and word tokens."""

from __future__ import annotations

import re
import unicodedata

_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "sir", "st", "no", "nos", "art", "arts", "para", "paras",
    "vol", "p", "pp", "cf", "e.g", "i.e", "etc", "vs", "v", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "col", "lt", "capt", "hon", "rt",
    "u.s", "u.k", "u.n", "inc", "ltd", "co", "corp", "dept", "govt", "est", "approx", "fig",
    "sec", "cl", "datuk", "dato", "tan", "sen", "rep", "amb", "adm", "maj", "sgt", "jr", "sr",
}
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) and whitespace,
# or at a line break that ends a line without punctuation (headings, list items, short lines).
_END = re.compile(r"[.!?]['\")\]\u2019\u201d]*(?=\s)|\n")
_ITEM = re.compile(
    r"[-*\u2022(\[]|\d{1,3}[.)]\s|[A-Z][A-Z ]{3,}|(?:Article|Item|ARTICLE|ITEM|Section)\b")
_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences; return (start, end) offsets into ``text``.

    Spans are trimmed of surrounding whitespace, so ``text[s:e]`` is the sentence as written.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    for m in _END.finditer(text, start, end):
        stop = m.end()
        if m.group(0) == "\n":
            # A line break ends a sentence only where the line is short (a heading, a list
            # item, a signature line) or the next line opens a new item; PDF text wraps
            # long sentences across lines.
            nxt = text[stop:stop + 8].lstrip(" \t")
            line_start = text.rfind("\n", 0, m.start()) + 1
            line = text[max(line_start, cur):m.start()]
            if nxt and nxt[0] != "\n" and (nxt[0].islower() or (
                    len(line) >= 60 and not _ITEM.match(nxt))):
                continue
        else:
            tail = text[max(cur, stop - 12):stop].rstrip("'\")]\u2019\u201d")
            word = re.search(r"([A-Za-z.]+)\.$", tail)
            if word and word.group(1).lower().rstrip(".") in _ABBREV:
                continue
            if word and re.fullmatch(r"(?:[A-Z]\.)+", word.group(1) + "."):
                continue  # initials: "J. F. Kennedy", "U.S."
            nxt = text[stop:stop + 3].lstrip()
            if nxt and nxt[0].islower():
                continue
            if re.search(r"\b\d{1,3}\.$", text[max(cur, stop - 4):stop]) and stop - cur < 6:
                continue  # clause numbers "2." at the start of a paragraph
        _push(text, cur, stop, spans)
        cur = stop
    _push(text, cur, end, spans)
    return spans


def _push(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits), accents folded ("Micheál" = "micheal"):
    the vocabulary of the lexical index."""
    return [_fold(w.lower()) for w in _WORD.findall(text)]


def _fold(word: str) -> str:
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


STOPWORDS = frozenset("""a about above after again against all am an and any are as at be because
been before being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yourself yourselves also did does tell
me please shall may might must us upon whether often kind kinds either any every take took
taken place part end give given gave get got make made way ways one also eventually similar
really actually exactly still yet ever already non whose much many""".split())


def content_words(text: str) -> list[str]:
    """Word tokens without stop words: what a question is about."""
    return [w for w in words(text) if w not in STOPWORDS]


def party_key(name: str) -> str:
    """The metadata key that marks a chunk as naming a party ("p_united_states")."""
    return "p_" + "_".join(words(name))
