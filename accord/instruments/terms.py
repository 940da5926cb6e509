"""Dates and terms in an instrument's text: "14 November 2023", "the 26th day of October, 2025",
"March 3, 2019" as ISO dates; the instrument's own signing block ("DONE at ... on DATE"); a
dated entry into force; a term ("shall remain in force for a period of five (5) years") in
months, and whether it renews itself. Used by accord/instruments/registry.py and ingest/metadata.py.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from accord.language.lexicon import lexicon

_MONTHS = lexicon().month_order
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)"
)
# "14 November 2023", "26th day of October, 2025", "the 26th of October 2025", "March 3, 2019"
DATE = (
    r"(?:\d{1,2}(?:st|nd|rd|th)?\s+(?:day\s+of\s+|of\s+)?"
    + _MONTH
    + r",?\s+\d{4}|"
    + _MONTH
    + r"\s+\d{1,2},?\s+\d{4})"
)
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


def parse_date(text: str) -> str | None:
    """An ISO date from "14 November 2023" or "November 14, 2023"; None when not a date."""
    m = re.search(
        r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:day\s+of\s+|of\s+)?([A-Za-z]+),?\s+(\d{4})", text
    )
    if m and m.group(2).lower() in _MONTHS:
        d, mo, y = int(m.group(1)), _MONTHS.index(m.group(2).lower()) + 1, int(m.group(3))
    else:
        m = re.search(r"([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})", text)
        if not m or m.group(1).lower() not in _MONTHS:
            return None
        d, mo, y = int(m.group(2)), _MONTHS.index(m.group(1).lower()) + 1, int(m.group(3))
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return None


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


def add_months(date: str, months: int) -> str:
    """``date`` (ISO) plus ``months``, on the same day of the month, or the month's last day
    when it has no such day (29 February 2024 + 12 months = 28 February 2025)."""
    d = dt.date.fromisoformat(date)
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day).isoformat()
