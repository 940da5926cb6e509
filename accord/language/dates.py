"""Dates as documents write them, and as Accord writes them: the one month table, the readers
and the writer, and month arithmetic.

The month names come from ``accord/data/lexicon.yaml`` (``month_order``; Malay's from
``malay.yaml``). ``parse_date`` reads the first date written as "14 November 2023", "the 26th
day of October, 2025" or "November 14, 2023"; ``first_date`` the earliest full date in a text in
any of those forms, ISO or Malay ("12 Ogos 2025"); ``long_date`` writes an ISO date as "14
November 2023"; ``add_months`` is calendar arithmetic (python-dateutil): the same day of the
month, or the month's last day when it has no such day.
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil.relativedelta import relativedelta

from accord.language.lexicon import lexicon
from accord.language.malay import date_pattern as malay_date

MONTHS: tuple[str, ...] = lexicon().month_order  # "january" ... "december"
# A month's name as documents capitalise it (a flag of the pattern using it may relax the case).
MONTH = "(?:" + "|".join(m.title() for m in MONTHS) + ")"
# "14 November 2023", "26th day of October, 2025", "the 26th of October 2025", "March 3, 2019"
DATE = (
    r"(?:\d{1,2}(?:st|nd|rd|th)?\s+(?:day\s+of\s+|of\s+)?"
    + MONTH
    + r",?\s+\d{4}|"
    + MONTH
    + r"\s+\d{1,2},?\s+\d{4})"
)
# A month's name or its abbreviation, any case, a full stop allowed ("Nov.", "sept", "June"):
# how a generated answer may write it (group 1 is the name as written).
MONTH_OR_ABBREVIATION = (
    "("
    + "|".join(f"{m[:3]}(?:{m[3:]})?" if m[3:] else m for m in MONTHS).replace(
        "sep(?:tember)?", "sept?(?:ember)?"
    )
    + r")\.?"
)
# A month's full name and its abbreviations, lower case -> the full name.
MONTH_OF = {m: m for m in MONTHS} | {m[:3]: m for m in MONTHS} | {"sept": "september"}
MONTH_YEAR = re.compile("(" + MONTH + r"),?\s+\d{4}")  # "January 2026": dated, but no day
_FULL_DATES = [
    re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + MONTH + r"),?\s+(\d{4})\b"),  # 14 November 2024
    re.compile(
        r"\b(" + MONTH + r")\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b"
    ),  # November 14, 2024
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
]
_DAY_FIRST = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:day\s+of\s+|of\s+)?([A-Za-z]+),?\s+(\d{4})"
)
_MONTH_FIRST = re.compile(r"([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})")


def month_number(name: str) -> int | None:
    """1-12 for an English month's name in any case ("november" -> 11), else None."""
    name = name.lower()
    return MONTHS.index(name) + 1 if name in MONTHS else None


def month_name(written: str) -> str:
    """The full name of a month written in full or abbreviated ("Nov." -> "november"); what
    was written, lower-cased, when it names none."""
    w = written.lower()
    return MONTH_OF.get(w.rstrip("."), MONTH_OF.get(w[:3], w))


def _iso(year: int, month: int | None, day: int) -> str | None:
    if month is None:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:  # 31 February
        return None


def parse_date(text: str) -> str | None:
    """An ISO date from the first "14 November 2023" (or "the 26th day of October, 2025") in
    ``text``, else from its first "November 14, 2023"; None when neither is a date."""
    m = _DAY_FIRST.search(text)
    if m and month_number(m.group(2)):
        return _iso(int(m.group(3)), month_number(m.group(2)), int(m.group(1)))
    m = _MONTH_FIRST.search(text)
    if not m or not month_number(m.group(1)):
        return None
    return _iso(int(m.group(3)), month_number(m.group(1)), int(m.group(2)))


def first_date(text: str) -> str | None:
    """The first full date (day, month and year) written in ``text``, as ISO, or None: English
    day-first or month-first, ISO, or Malay."""
    best: tuple[int, str] | None = None
    for i, pat in enumerate(_FULL_DATES):
        for m in pat.finditer(text):
            if i == 0:
                found = _iso(int(m.group(3)), month_number(m.group(2)), int(m.group(1)))
            elif i == 1:
                found = _iso(int(m.group(3)), month_number(m.group(1)), int(m.group(2)))
            else:
                found = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if found is None:
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), found)
            break
    malay, months = malay_date()  # "12 Ogos 2025"
    for m in malay.finditer(text):
        name = m.group(2).lower()
        found = _iso(
            int(m.group(3)), months.index(name) + 1 if name in months else None, int(m.group(1))
        )
        if found is None:
            continue
        if best is None or m.start() < best[0]:
            best = (m.start(), found)
        break
    return best[1] if best else None


def long_date(iso: str) -> str:
    """ "2023-11-14" as "14 November 2023"."""
    y, m, d = iso.split("-")
    return f"{int(d)} {MONTHS[int(m) - 1].title()} {y}"


def add_months(date: str, months: int) -> str:
    """``date`` (ISO) plus ``months``, on the same day of the month, or the month's last day
    when it has no such day (29 February 2024 + 12 months = 28 February 2025)."""
    return (dt.date.fromisoformat(date) + relativedelta(months=months)).isoformat()
