"""The one dates module (accord/language/dates.py): readers, writer, month arithmetic."""

from __future__ import annotations

import re

import pytest

from accord.language.dates import (
    DATE,
    MONTH_YEAR,
    MONTHS,
    add_months,
    first_date,
    long_date,
    month_number,
    parse_date,
)


@pytest.mark.parametrize(
    "start, months, end",
    [
        ("2023-11-30", 60, "2028-11-30"),  # five years from 30 November 2023: not the 28th
        ("2024-02-29", 12, "2025-02-28"),  # a year from 29 February: the month's last day
        ("2028-02-29", 48, "2032-02-29"),  # four years later it is a leap day again
        ("2024-01-31", 1, "2024-02-29"),
        ("2023-01-31", 1, "2023-02-28"),
        ("2024-03-31", 1, "2024-04-30"),
        ("2023-12-15", 1, "2024-01-15"),  # over a year's end
        ("2023-11-14", 120, "2033-11-14"),
        ("2023-11-14", 0, "2023-11-14"),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(
    start: str, months: int, end: str
) -> None:
    assert add_months(start, months) == end


def test_one_month_table() -> None:
    assert len(MONTHS) == 12 and MONTHS[0] == "january" and MONTHS[-1] == "december"
    assert month_number("NOVEMBER") == 11 and month_number("Sept") is None


@pytest.mark.parametrize(
    "text, iso",
    [
        ("signed on 14 November 2023", "2023-11-14"),
        ("Done at Puglia, this 13th day of June, 2024", "2024-06-13"),
        ("the 26th of October 2025", "2025-10-26"),
        ("on March 3, 2019", "2019-03-03"),
        ("31 February 2020", None),
        ("in 2024", None),
        ("Monday 4 May", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_first_date_is_the_earliest_full_date_in_any_form() -> None:
    assert first_date("Signed on 14 November 2023 and 2 May 2019") == "2023-11-14"
    assert first_date("Done on November 14, 2024.") == "2024-11-14"
    assert first_date("On 31 February 2023 nothing happened, on 2023-03-01 it did") == "2023-03-01"
    assert first_date("issued 2025-08-13, in force 1 September 2025") == "2025-08-13"
    assert first_date("Kota Sari, 13 Ogos 2025") == "2025-08-13"  # Malay
    assert first_date("No date, only 2024.") is None


def test_the_patterns_other_modules_build_on() -> None:
    assert re.fullmatch(DATE, "26th day of October, 2025")
    assert re.fullmatch(DATE, "March 3, 2019")
    assert MONTH_YEAR.fullmatch("January 2026") and not MONTH_YEAR.fullmatch("14 January 2026")


def test_long_date_writes_what_parse_date_reads() -> None:
    assert long_date("2023-11-14") == "14 November 2023"
    assert long_date("2025-06-03") == "3 June 2025"
    for iso in ("2023-11-14", "2024-02-29", "2025-12-31"):
        assert parse_date(long_date(iso)) == iso
