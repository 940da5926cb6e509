"""Blocks quoted whole: a signing block and an enumeration say what they say across several
short lines, none of which answers alone.

``signature_blocks`` finds "IN WITNESS WHEREOF ... DONE at ... on ... FOR THE GOVERNMENT OF ...
(signed) NAME" (``signs``: a text that is such a statement); ``list_blocks`` a lead-in ending
with a colon and the items after it.
``FOOTER`` matches page footers, which are never quoted.
"""

from __future__ import annotations

import re

_SIGN_START = re.compile(
    r"(IN WITNESS WHEREOF|In witness whereof|DONE (at|in)|Done (at|in)|"
    r"SIGNED (at|in)|Signed (at|in))\b"
)
_SIGN_LINE = re.compile(r"(FOR|For|ON BEHALF OF|On behalf of|DONE|Done|\(signed\)|\(Signed\))\b")
FOOTER = re.compile(r"\bPage \d+\b|^\d+$")


def signs(text: str) -> bool:
    """``text`` is a document's own signing statement: it opens a signing block ("IN WITNESS
    WHEREOF", "DONE at", "Signed at") or holds a "(signed)" line. A sentence that mentions
    where another instrument was signed ("the MoU signed at ... on ...") is not one."""
    return bool(_SIGN_START.match(text.lstrip()) or _SIGNED_MARK.search(text))


_SIGNED_MARK = re.compile(r"\((?:signed|Signed|SIGNED)\)")


def signature_blocks(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of signing blocks ("IN WITNESS WHEREOF ... DONE at Port Aldric on 14 November 2023
    ... FOR THE GOVERNMENT OF ... (signed) Tomas Arvelo, Minister of Home Affairs"), quoted
    whole: they say where, when and by whom an instrument was signed, in lines too short to be
    sentences."""
    out = []
    i = 0
    while i < len(spans):
        s, e = spans[i]
        if not _SIGN_START.match(text[s:e]):
            i += 1
            continue
        j, names = i + 1, 0
        while j < len(spans) and j - i < 14:
            line = text[spans[j][0] : spans[j][1]]
            if FOOTER.search(line) or not (
                len(line) <= 90 or _SIGN_START.match(line) or _SIGN_LINE.match(line)
            ):
                break
            names += bool(_SIGN_LINE.match(line))
            j += 1
        if names:
            out.append((s, spans[j - 1][1]))
        i = j
    return out


_ITEM_START = re.compile(r"\s*(?:\([a-z0-9]{1,4}\)|[a-z0-9]{1,3}[.)]|[-*\u2022\u2013])\s")


def list_blocks(
    text: str, spans: list[tuple[int, int]], max_items: int = 14
) -> list[tuple[int, int]]:
    """Spans of enumerations quoted whole: a sentence ending with a colon and the list items
    after it ("The Parties shall cooperate in the following areas: (a) ...; (b) ..."). The
    lead-in names the topic, the items hold the answer; neither answers alone."""
    out = []
    for i, (s, e) in enumerate(spans):
        if not text[s:e].rstrip().endswith(":"):
            continue
        j, items = i + 1, 0
        while j < len(spans) and items <= max_items:
            line = text[spans[j][0] : spans[j][1]]
            if _ITEM_START.match(line):
                items += 1
            elif not (items and line[:1].islower()):  # an item wrapped onto the next line
                break
            j += 1
        if items >= 2:  # a lead-in and at least two items
            out.append((s, spans[j - 1][1]))
    return out
