"""Sentences that a PDF page end cuts in two: quoted whole, from the next page too.

A PDF page's passage ends where the page ends, so a sentence that goes on at the top of the
next page is cut ("... at least six" | "(6) months before ..."). ``over_page`` finds where it
really ends: only running lines (a page's foot, the next page's head, a page number) may stand
between its two pieces, and the next page must go on in lower case or with a bracketed figure
glossing a number word. The quote is the document's text verbatim, running lines included;
the citation names both pages (``accord.answer.citations.make_citation``).
"""

from __future__ import annotations

from accord.language.text import FIGURE_GLOSS, sentence_spans
from accord.models import Document

SENTENCE_ENDS = ".!?;:\"'\u201d\u2019)]"  # a sentence ending in one of these is not cut
MAX_RUNNING = 3  # running lines (a page's foot, the next page's head) a sentence may run over
MAX_OVER = 800  # characters of the next page a sentence cut by a page end may go on for
MAX_RUNNING_CHARS = 80  # a running line is no longer than this


def running(text: str) -> bool:
    """``text`` is at most ``MAX_RUNNING`` short lines that end no sentence (a running foot or
    head, a page number): what a sentence cut by a page end may run over."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    return len(lines) <= MAX_RUNNING and all(
        len(ln) <= MAX_RUNNING_CHARS and ln[-1] not in ".;:" for ln in lines
    )


def over_page(doc: Document, start: int, end: int) -> tuple[int, str] | None:
    """For the sentence ``doc.text[start:end]`` cut by the end of its page (only running lines
    after it) that goes on at the top of the next: its end there and its whole verbatim text.
    None when it does not go on."""
    if not doc.page_starts:
        return None
    page = doc.page_at(start) or 0
    if page >= len(doc.page_starts):
        return None
    turn = doc.page_starts[page]
    if not start < end <= turn or not running(doc.text[end:turn]):
        return None
    nxt = doc.page_starts[page + 1] if page + 1 < len(doc.page_starts) else len(doc.text)
    at = turn
    for line in doc.text[turn:nxt].split("\n")[: MAX_RUNNING + 1]:
        head = line.lstrip()
        if head[:1].islower() or FIGURE_GLOSS.match(head):
            spans = sentence_spans(doc.text, at, min(nxt, at + MAX_OVER))
            if not spans:
                return None
            stop = spans[0][1]
            return stop, doc.text[start:stop]
        if not running(line + "\n"):
            return None
        at += len(line) + 1
    return None
