"""Text utilities shared by chunking and answering: sentence spans and word tokens."""

from __future__ import annotations

import re
import unicodedata

from accord.language.lexicon import WORD, lexicon

_ABBREV = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sir",
    "st",
    "no",
    "nos",
    "art",
    "arts",
    "para",
    "paras",
    "vol",
    "p",
    "pp",
    "cf",
    "e.g",
    "i.e",
    "etc",
    "vs",
    "v",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "gen",
    "col",
    "lt",
    "capt",
    "hon",
    "rt",
    "u.s",
    "u.k",
    "u.n",
    "inc",
    "ltd",
    "co",
    "corp",
    "dept",
    "govt",
    "est",
    "approx",
    "fig",
    "sec",
    "cl",
    "datuk",
    "dato",
    "tan",
    "sen",
    "rep",
    "amb",
    "adm",
    "maj",
    "sgt",
    "jr",
    "sr",
}
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) and whitespace,
# or at a line break that ends a line without punctuation (headings, list items, short lines).
_END = re.compile(r"[.!?]['\")\]\u2019\u201d]*(?=\s)|\n")
_ITEM = re.compile(
    r"[-*\u2022(\[]|\d{1,3}[.)]\s|[A-Z][A-Z ]{3,}|(?:Article|Item|ARTICLE|ITEM|Section)\b"
)
# "... within thirty\n(30) days": a figure in brackets glossing the number word before it, then
# a word in lower case, continues the sentence (a list item "(3) The Parties ..." does not)
FIGURE_GLOSS = re.compile(r"\(\d{1,4}\)\s+[a-z]")


STRUCTURAL = re.compile(
    r"^\s*(?:#{1,6}\s+\S|(?:ARTICLE|Article|SECTION|Section|CLAUSE|Clause|PART|Part|CHAPTER|"
    r"Chapter|ANNEX|Annex|SCHEDULE|Schedule|APPENDIX|Appendix|(?:Agenda\s+)?(?:ITEM|Item))"
    r"\s+[0-9IVXLC]+\b)"
)

# Numbered headings that only head a line of their own ("Recommendation 19", as government
# responses to an inquiry are laid out); a sentence may open with the same words.
LINE_HEADS = re.compile(r"^\s*(?:RECOMMENDATION|Recommendation|PARAGRAPH|Paragraph)\s+\d+\b")


def is_heading(block: str) -> bool:
    """A one-line block that reads as a heading: an article, an item, a title line."""
    line = block.strip()
    if "\n" in line or not line or len(line) > 120:
        return False
    if STRUCTURAL.match(line):
        return True
    if line.endswith((".", ",", ";", ":")) or len(line) > 80:
        return False
    letters = [c for c in line if c.isalpha()]
    if len(letters) < 3:
        return False
    if line.isupper():
        return True
    words = [w for w in re.findall(r"[A-Za-z][\w'\-]*", line)]
    small = lexicon().title_small_words  # "of", "the": lower case in a title
    caps = [w for w in words if w.lower() not in small]
    return bool(caps) and all(w[0].isupper() for w in caps) and len(words) <= 12


def word_lines(text: str, share: float = 0.6, least: int = 20) -> bool:
    """``text`` has one word to a line: at least ``share`` of its (at least ``least``) lines
    hold a single word, as some PDFs extract (each word placed on its own)."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if len(lines) < least:
        return False
    return sum(len(ln.split()) == 1 for ln in lines) >= share * len(lines)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences; return (start, end) offsets into ``text``.

    Spans are trimmed of surrounding whitespace, so ``text[s:e]`` is the sentence as written.
    Text a PDF gave one word to a line (``word_lines``) ends sentences at stops and blank lines
    only.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    one_word = word_lines(text[start:end])
    for m in _END.finditer(text, start, end):
        stop = m.end()
        if m.group(0) == "\n" and one_word:
            if not text[stop : stop + 40].lstrip(" \t").startswith("\n"):
                continue
        elif m.group(0) == "\n":
            # A line break ends a sentence only where the line is short (a heading, a list
            # item, a signature line) or the next line opens a new item; PDF text wraps
            # long sentences across lines.
            ahead = text[stop : stop + 40]  # (an indented continuation line too)
            nxt = ahead.lstrip(" \t")
            # (the whole line: a sentence that opens in the middle of a wrapped line
            # does not make the line short)
            line_start = text.rfind("\n", 0, m.start()) + 1
            line = text[line_start : m.start()]
            if (
                nxt
                and nxt[0] != "\n"
                and (
                    nxt[0].islower()
                    or (
                        len(line) >= 60
                        and (
                            not _ITEM.match(nxt)
                            or FIGURE_GLOSS.match(text, stop + len(ahead) - len(nxt))
                        )
                    )
                )
            ):
                continue
        else:
            tail = text[max(cur, stop - 12) : stop].rstrip("'\")]\u2019\u201d")
            word = re.search(r"([A-Za-z.]+)\.$", tail)
            if word and word.group(1).lower().rstrip(".") in _ABBREV:
                continue
            if word and re.fullmatch(r"(?:[A-Z]\.)+", word.group(1) + "."):
                continue  # initials: "J. F. Kennedy", "U.S."
            nxt = text[stop : stop + 3].lstrip()
            if nxt and nxt[0].islower():
                continue
            if re.search(r"\b\d{1,3}\.$", text[max(cur, stop - 4) : stop]) and stop - cur < 6:
                continue  # clause numbers "2." at the start of a paragraph
        _push(text, cur, stop, spans)
        cur = stop
    _push(text, cur, end, spans)
    return spans


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without the white space at either end (empty when all of it is)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _push(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> None:
    s, e = trim_span(text, s, e)
    if e > s:
        spans.append((s, e))


_HYPHEN_BREAK = re.compile(r"(\w+)-[ \t]*\n[ \t]*(\w+)")
_SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def reflow(text: str) -> str:
    """``text`` as the page shows it, on one line: line breaks become spaces, except after a
    hyphen that ends a line, which stays joined to the next word ("long-\nterm" ->
    "long-term"; a word the printer broke keeps its hyphen: nothing is guessed); runs of
    white space become one space."""
    text = _HYPHEN_BREAK.sub(lambda m: f"{m.group(1)}-{m.group(2)}", text)
    return " ".join(_SOFT_BREAK.sub(" ", text).split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits), accents folded ("Micheál" = "micheal"):
    the vocabulary of the lexical index."""
    return [_fold(w.lower()) for w in WORD.findall(text)]


def _fold(word: str) -> str:
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def party_key(name: str) -> str:
    """The metadata key that marks a chunk as naming a party ("p_united_states")."""
    return "p_" + "_".join(words(name))
