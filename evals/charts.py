"""Inline SVG charts for the evaluation report: metric bars, the latency histogram and the
per-tag heat map. Pure functions from numbers to SVG text; no scripts, fonts or network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

FONT = "font-family='system-ui,sans-serif' font-size='12'"
BAR = "#2f6fb0"
OTHER = "#b8c4d0"
GOOD, BAD = "#1a7f37", "#c62828"


def _svg(width: int, height: int, body: list[str], cls: str, title: str) -> str:
    return (
        f"<svg class='chart {cls}' role='img' aria-label='{escape(title)}' "
        f"xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' {FONT}><title>{escape(title)}</title>"
        + "".join(body)
        + "</svg>"
    )


def metric_bars(
    rows: Sequence[tuple[str, float | None, float | None, bool]], title: str = "Metrics"
) -> str:
    """Horizontal bars on a 0-1 scale: (label, value, other run's value or None, higher is
    better). With another value a thin grey bar shows it and the delta is written at the end."""
    label_w, bar_w, row_h = 170, 360, 30
    height = row_h * len(rows) + 30
    body = [f"<line x1='{label_w}' y1='10' x2='{label_w}' y2='{height - 20}' stroke='#888'/>"]
    for x in (0.25, 0.5, 0.75, 1.0):
        gx = label_w + bar_w * x
        body.append(f"<line x1='{gx:.0f}' y1='10' x2='{gx:.0f}' y2='{height - 20}' stroke='#ddd'/>")
        body.append(
            f"<text x='{gx:.0f}' y='{height - 6}' text-anchor='middle' fill='#666'>{x:g}</text>"
        )
    for i, (label, value, other, higher_better) in enumerate(rows):
        y = 12 + i * row_h
        body.append(
            f"<text x='{label_w - 8}' y='{y + 15}' text-anchor='end'>{escape(label)}</text>"
        )
        if value is not None:
            h = 18 if other is None else 13
            body.append(
                f"<rect class='bar' data-metric='{escape(label)}' x='{label_w}' y='{y}' "
                f"width='{max(bar_w * value, 1):.1f}' height='{h}' fill='{BAR}'>"
                f"<title>{escape(label)}: {value:.3f}</title></rect>"
            )
        if other is not None:
            body.append(
                f"<rect class='bar-other' x='{label_w}' y='{y + 14}' "
                f"width='{max(bar_w * other, 1):.1f}' height='6' fill='{OTHER}'>"
                f"<title>other run: {other:.3f}</title></rect>"
            )
        text = "n/a" if value is None else f"{value:.3f}"
        fill = "#222"
        if value is not None and other is not None:
            d = value - other
            fill = "#555" if abs(d) < 5e-5 else (GOOD if (d > 0) == higher_better else BAD)
            text += f"  ({d:+.3f})"
        body.append(f"<text x='{label_w + bar_w + 8}' y='{y + 15}' fill='{fill}'>{text}</text>")
    return _svg(label_w + bar_w + 130, height, body, "metric-bars", title)


def histogram(
    values: Sequence[float],
    title: str = "Latency (ms)",
    bins: int = 12,
    other: Sequence[float] = (),
) -> str:
    """A histogram of ``values`` (latencies) with equal-width bins; ``other`` is drawn as an
    outline for comparison."""
    width, height, left, bottom = 580, 220, 40, 40
    allv = list(values) + list(other)
    if not allv:
        return _svg(
            width,
            60,
            ["<text x='10' y='30'>no latencies recorded</text>"],
            "latency-histogram",
            title,
        )
    lo, hi = min(allv), max(allv)
    span = (hi - lo) or 1.0
    step = span / bins

    def counts(vs: Sequence[float]) -> list[int]:
        c = [0] * bins
        for v in vs:
            c[min(int((v - lo) / step), bins - 1)] += 1
        return c

    mine, theirs = counts(values), counts(other)
    top = max(mine + theirs) or 1
    plot_w, plot_h = width - left - 30, height - bottom - 10
    bw = plot_w / bins
    body = [
        f"<line x1='{left}' y1='{10 + plot_h}' x2='{left + plot_w}' y2='{10 + plot_h}' "
        "stroke='#888'/>"
    ]
    for i in range(bins):
        x = left + i * bw
        h = plot_h * mine[i] / top
        body.append(
            f"<rect class='hist-bar' x='{x + 1:.1f}' y='{10 + plot_h - h:.1f}' "
            f"width='{bw - 2:.1f}' height='{h:.1f}' fill='{BAR}'><title>"
            f"{lo + i * step:.0f}–{lo + (i + 1) * step:.0f} ms: {mine[i]}</title></rect>"
        )
        if other:
            h2 = plot_h * theirs[i] / top
            body.append(
                f"<rect x='{x + 1:.1f}' y='{10 + plot_h - h2:.1f}' width='{bw - 2:.1f}' "
                f"height='{h2:.1f}' fill='none' stroke='#e08a00' stroke-width='2'/>"
            )
    for i in range(0, bins + 1, max(1, bins // 4)):
        x = left + i * bw
        body.append(
            f"<text x='{x:.0f}' y='{height - bottom + 24}' text-anchor='middle' "
            f"fill='#666'>{lo + i * step:.0f}</text>"
        )
    body.append(f"<text x='{left - 6}' y='18' text-anchor='end' fill='#666'>{top}</text>")
    body.append(
        f"<text x='{width / 2:.0f}' y='{height - 4}' text-anchor='middle' fill='#444'>"
        "milliseconds per question" + (" (orange: other run)" if other else "") + "</text>"
    )
    return _svg(width, height, body, "latency-histogram", title)


def _heat(value: float) -> str:
    # white (0) to the bar blue (1); readable text colour chosen by the caller
    r = int(255 + (47 - 255) * value)
    g = int(255 + (111 - 255) * value)
    b = int(255 + (176 - 255) * value)
    return f"rgb({r},{g},{b})"


def tag_heatmap(
    tags: dict[str, dict[str, float | None]],
    columns: dict[str, str],
    title: str = "Per-tag breakdown",
) -> str:
    """A grid: one row per tag (with its question count), one column per metric (``columns``
    maps summary keys to headings), each cell shaded by its 0-1 value and labelled with it."""
    label_w, cell_w, row_h, head = 170, 92, 22, 40
    width = label_w + cell_w * len(columns) + 10
    height = head + row_h * len(tags) + 10
    body = []
    for j, heading in enumerate(columns.values()):
        x = label_w + j * cell_w + cell_w / 2
        body.append(
            f"<text x='{x:.0f}' y='{head - 10}' text-anchor='middle' "
            f"font-weight='600'>{escape(heading)}</text>"
        )
    for i, (tag, s) in enumerate(tags.items()):
        y = head + i * row_h
        body.append(
            f"<text x='{label_w - 8}' y='{y + 15}' text-anchor='end'>{escape(tag)} "
            f"({s.get('n', 0)})</text>"
        )
        for j, col in enumerate(columns):
            v = s.get(col)
            x = label_w + j * cell_w
            fill = "#f3f3f3" if v is None or math.isnan(v) else _heat(max(0.0, min(1.0, v)))
            ink = "#fff" if v is not None and v > 0.6 else "#222"
            body.append(
                f"<rect class='heat-cell' x='{x + 1}' y='{y + 1}' width='{cell_w - 2}' "
                f"height='{row_h - 2}' fill='{fill}'/>"
            )
            body.append(
                f"<text x='{x + cell_w / 2:.0f}' y='{y + 15}' text-anchor='middle' "
                f"fill='{ink}'>{'–' if v is None else f'{v:.2f}'}</text>"
            )
    return _svg(width, height, body, "tag-heatmap", title)
