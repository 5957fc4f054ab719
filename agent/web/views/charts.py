"""Server-side SVG charts: sparklines and the breakdown chart (no scripts, no CDN).

Every number and label is escaped into the SVG text; styling comes from classes in the
app's stylesheet, so the charts need neither inline styles nor scripts under the CSP.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


def _scale(lo: float, hi: float, top: float, bottom: float) -> Callable[[float], float]:
    span = (hi - lo) or 1.0
    return lambda v: bottom - (v - lo) / span * (bottom - top)


def sparkline(values: Sequence[float], *, label: str, width: int = 120, height: int = 28) -> Markup:
    """Return a small line chart of `values` (NaN gaps skipped) with an accessible label."""
    clean = [v for v in values if not math.isnan(v)]
    if len(clean) < 2:
        return Markup('<span class="muted">no data</span>')
    y = _scale(min(clean), max(clean), 2.0, height - 2.0)
    step = (width - 4) / max(len(values) - 1, 1)
    points = " ".join(
        f"{2 + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values) if not math.isnan(v)
    )
    last_x, last_y = 2 + (len(values) - 1) * step, y(clean[-1])
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<polyline class="spark-line" points="{points}"/>'
        f'<circle class="spark-dot" cx="{last_x:.1f}" cy="{last_y:.1f}" r="2"/></svg>'
    )


_LEGEND_CHARS = 60


@dataclass(frozen=True)
class Overlay:
    """One more daily series on the breakdown chart: its CSS class and legend label."""

    css: str
    label: str
    points: Sequence[tuple[dt.date, float]]


def _legend(items: Sequence[tuple[str, str]], *, x: float, y: float) -> str:
    """Return a legend row: a short line in each series' class, then its escaped label."""
    parts = []
    for css, label in items:
        text = label if len(label) <= _LEGEND_CHARS else label[: _LEGEND_CHARS - 1] + "…"
        parts.append(
            f'<line class="{escape(css)}" x1="{x:.1f}" x2="{x + 18:.1f}" y1="{y - 4:.1f}" '
            f'y2="{y - 4:.1f}"/><text class="chart-label chart-legend" x="{x + 22:.1f}" '
            f'y="{y:.1f}">{escape(text)}</text>'
        )
        x += 36 + 6 * len(text)
    return "".join(parts)


def breakdown_chart(
    points: Sequence[tuple[dt.date, float]],
    *,
    baseline: float,
    band: tuple[float, float],
    window: tuple[dt.date, dt.date],
    fmt: Callable[[float], str],
    title: str,
    overlays: Sequence[Overlay] = (),
    width: int = 720,
    height: int = 240,
) -> Markup:
    """Return the daily metric line with the baseline band, baseline line and window.

    Each overlay (the cause segment, the rest of the stage) adds a line of its class, and
    then a legend names every line; labels are data and are escaped.
    """
    series = [(d, v) for d, v in points if not math.isnan(v)]
    if len(series) < 2:
        return Markup('<p class="muted">Not enough daily data to draw the chart.</p>')
    extra = [[(d, v) for d, v in o.points if not math.isnan(v)] for o in overlays]
    left, right, bottom = 64.0, width - 12.0, height - 28.0
    top = 30.0 if overlays else 14.0
    values = [v for _, v in series] + [band[0], band[1], baseline]
    values += [v for line in extra for _, v in line]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    y = _scale(lo - pad, hi + pad, top, bottom)
    first = min([series[0][0], *(line[0][0] for line in extra if line)])
    last = max([series[-1][0], *(line[-1][0] for line in extra if line)])
    days = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return left + (day - first).days / days * (right - left)

    w0, w1 = x(max(window[0], first)), x(min(window[1], last))
    line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in series)
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<rect class="chart-band" x="{left}" y="{y(band[1]):.1f}" width="{right - left:.1f}" '
        f'height="{max(y(band[0]) - y(band[1]), 1):.1f}"/>',
        f'<rect class="chart-window" x="{w0:.1f}" y="{top}" width="{max(w1 - w0, 2):.1f}" '
        f'height="{bottom - top:.1f}"/>',
        f'<line class="chart-baseline" x1="{left}" x2="{right}" y1="{y(baseline):.1f}" '
        f'y2="{y(baseline):.1f}"/>',
        f'<polyline class="chart-line" points="{line}"/>',
        *(
            f'<polyline class="{escape(o.css)}" points="'
            + " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in pts)
            + f'"><title>{escape(o.label)}</title></polyline>'
            for o, pts in zip(overlays, extra, strict=True)
            if pts
        ),
        f'<text class="chart-label" x="4" y="{y(baseline) + 4:.1f}">{escape(fmt(baseline))}</text>',
        f'<text class="chart-label" x="4" y="{top + 8}">{escape(fmt(hi))}</text>',
        f'<text class="chart-label" x="4" y="{bottom}">{escape(fmt(lo))}</text>',
        f'<text class="chart-label" x="{left}" y="{height - 8}">{first.isoformat()}</text>',
        f'<text class="chart-label chart-end" x="{right}" y="{height - 8}">'
        f"{last.isoformat()}</text>",
        f'<text class="chart-label" x="{w0 + 3:.1f}" y="{top + 10}">window</text>',
        _legend(
            [("chart-line", "stage total"), *((o.css, o.label) for o in overlays)], x=left, y=14
        )
        if overlays
        else "",
        "</svg>",
    ]
    return Markup("".join(parts))
