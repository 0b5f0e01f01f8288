"""Charts drawn on the server as inline SVG: horizontal bars, and bars stacked by series.

Colours are classes (static/dashboard.css), never style attributes, so the strict CSP holds. Each
chart is an image with a title and a description; its numbers are in the table the page puts
beside it, which is what screen readers and people without colour vision read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
ROW = 26
BAR = 18
LABEL_WIDTH = 190
VALUE_ROOM = 70
TOP = 6


def number(value: float | int | None) -> str:
    """1,234 or 1,234.5 (at most two decimals, no trailing zeros); an em dash for None."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


def _frame(chart_id: str, title: str, desc: str, height: int, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def _label(y: float, text: str) -> str:
    shown = text if len(text) <= 28 else text[:27] + "…"
    return (
        f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y:.1f}" text-anchor="end" '
        f'dominant-baseline="middle">{escape(shown)}</text>'
    )


def bar_chart(chart_id: str, title: str, desc: str, bars: Sequence[Bar]) -> Markup:
    """One bar per row, scaled to the largest; the value written after each bar."""
    top = max((b.value for b in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_ROOM
    parts = []
    for i, bar in enumerate(bars):
        y = TOP + i * ROW
        length = max(bar.value / top * span, 0)
        parts.append(
            _label(y + BAR / 2, bar.label)
            + f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR}"/>'
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR / 2:.1f}" '
            f'dominant-baseline="middle">{number(bar.value)}</text>'
        )
    return _frame(chart_id, title, desc, TOP * 2 + max(len(bars), 1) * ROW, "".join(parts))


def stacked_chart(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[tuple[str, str]],
) -> Markup:
    """One bar per row split into series, given as (key, label): each part has the class
    fill-<key>, so a status keeps its colour on every chart. A legend goes above."""
    top = max((sum(values) for _, values in rows), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_ROOM
    legend, x, line = [], 0.0, 0
    for key, name in series:
        room = 24 + 7.5 * len(name)
        if x and x + room > WIDTH:  # wrap the legend onto another line
            x, line = 0.0, line + 1
        y = TOP + line * ROW
        legend.append(
            f'<rect class="fill-{escape(key)}" x="{x:.1f}" y="{y}" width="12" height="12"/>'
            f'<text class="chart-legend" x="{x + 16:.1f}" y="{y + 6}" dominant-baseline="middle">'
            f"{escape(name)}</text>"
        )
        x += room
    parts, first = legend, TOP + (line + 1) * ROW + 6
    for i, (label, values) in enumerate(rows):
        y = first + i * ROW
        parts.append(_label(y + BAR / 2, label))
        at = float(LABEL_WIDTH)
        for (key, _), value in zip(series, values, strict=True):
            if value <= 0:
                continue
            length = value / top * span
            parts.append(
                f'<rect class="fill-{escape(key)}" x="{at:.1f}" y="{y}" width="{length:.1f}" height="{BAR}"/>'
            )
            at += length
        parts.append(
            f'<text class="chart-value" x="{at + 6:.1f}" y="{y + BAR / 2:.1f}" '
            f'dominant-baseline="middle">{number(sum(values))}</text>'
        )
    height = first + max(len(rows), 1) * ROW + TOP
    return _frame(chart_id, title, desc, height, "".join(parts))
