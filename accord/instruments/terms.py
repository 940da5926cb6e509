"""Dates and terms in an instrument's text: "14 November 2023", "the 26th day of October, 2025",
"March 3, 2019" as ISO dates; the instrument's own signing block ("DONE at ... on DATE"); a
dated entry into force; a term ("shall remain in force for a period of five (5) years") in
months, and whether it renews itself. Used by accord/instruments/registry.py and ingest/metadata.py.
"""

from __future__ import annotations

import re

from accord.language.dates import DATE, add_months, parse_date
from accord.language.lexicon import lexicon

__all__ = ["DATE", "add_months", "parse_date"]  # read from here by the registry

# The instrument's own signing block: "DONE at Port Aldric on 14 November 2023", "Done at Puglia,
# Italy, this 13th day of June, 2024", "Signed at Chequers, Buckinghamshire, on September 18, 2025".
SIGNED_ON = re.compile(
    r"\b(?:DONE|Done|SIGNED|Signed)\s+(?:at|in)\s+(?:(?!\n\s*\n)[^;]){2,90}?"
    r"(?:,\s*)?\b(?:on|this)\s+(?:the\s+)?(" + DATE + r")"
)
ENTRY_DATE = re.compile(
    r"shall\s+(?:enter|come)\s+into\s+(?:force|effect)\s+on\s+(" + DATE + r")", re.I
)
TERM = re.compile(
    r"shall\s+remain\s+in\s+(?:force|effect)\s+(?:for\s+)?"
    r"(?:a\s+(?:period|term)\s+of\s+)?(?P<words>[a-z\-]+\s+)?\(?"
    r"(?P<n>\d{1,3})?\)?\s*(?P<unit>years?|months?)",
    re.I,
)
RENEW = re.compile(r"\b(?:automatically|tacitly)\s+(?:be\s+)?(?:renewed|extended)\b", re.I)


# "five years", "ten years": number words from the lexicon.
_NUMBER_WORDS = {
    w: int(n) for w, n in {**lexicon().evidence_numbers, **lexicon().claim_numbers}.items()
}


def term_months(m: re.Match[str]) -> int | None:
    """The months of a ``TERM`` match ("five (5) years" -> 60); None when no number is read."""
    n = (
        int(m.group("n"))
        if m.group("n")
        else _NUMBER_WORDS.get((m.group("words") or "").strip().lower())
    )
    if n is None:
        return None
    return n * (12 if m.group("unit").lower().startswith("year") else 1)


def signing_date(text: str) -> str | None:
    """The date of the instrument's own signing block ("DONE at Port Aldric on 14 November
    2023"), or None."""
    m = SIGNED_ON.search(text)
    return parse_date(m.group(1)) if m else None
