"""Headings of a PDF by how they are printed: a line set larger than the body's type, or bold,
short, with body text around it (pypdf's text visitor gives each run's font and size)."""

from __future__ import annotations

from collections import Counter
from typing import Any


def styled_runs(out: list[tuple[str, float, bool]]) -> Any:
    """A pypdf text visitor that records each run's text, effective font size and boldness."""

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if not text or not text.strip():
            return
        try:
            scale = max(abs(float(tm[0])), abs(float(tm[3]))) * max(
                abs(float(cm[0])), abs(float(cm[3]))
            )
            eff = float(size or 0) * (scale or 1.0)
        except (TypeError, ValueError, IndexError):
            eff = 0.0
        base = str((font or {}).get("/BaseFont", "")) if hasattr(font, "get") else ""
        out.append((text, round(eff, 1), "bold" in base.lower() or "black" in base.lower()))

    return visit


def pdf_headings(
    text: str, starts: list[int], parts: list[str], runs: list[list[tuple[str, float, bool]]]
) -> list[tuple[int, int]]:
    """Lines of a PDF printed as headings: larger than the body's type or bold, short, and
    with body text around them. Spans in ``text``."""
    sizes: Counter[float] = Counter()
    for page in runs:
        for t, size, _bold in page:
            sizes[size] += len(t.strip())
    if not sizes:
        return []
    body = sizes.most_common(1)[0][0]
    out: list[tuple[int, int]] = []
    for start, part, page in zip(starts, parts, runs, strict=False):
        # Each non-space character of the page, in order, and whether it was printed as a heading.
        marks = [
            size >= body * 1.15 or (bold and size >= body * 0.95)
            for t, size, bold in page
            for ch in t
            if not ch.isspace()
        ]
        k = 0
        pos = 0
        previous = False  # the line before was a heading: a heading wrapped over two lines
        for line in part.split("\n"):
            chars = [ch for ch in line if not ch.isspace()]
            flags = marks[k : k + len(chars)]
            k += len(chars)
            stripped = line.strip()
            heading = bool(
                flags
                and len(flags) == len(chars)
                and sum(flags) >= 0.9 * len(chars)
                and len(stripped) <= 120
                and stripped[-1] not in ".,;"
                and sum(ch.isalpha() for ch in stripped) >= 3
                and (stripped[0].isupper() or stripped[0].isdigit() or previous)
            )
            if heading:
                lead = len(line) - len(line.lstrip())
                span = (start + pos + lead, start + pos + lead + len(stripped))
                if previous and out and len(text[out[-1][0] : span[1]]) <= 200:
                    span = (out.pop()[0], span[1])
                out.append(span)
            previous = heading
            pos += len(line) + 1
    return out
