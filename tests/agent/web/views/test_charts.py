"""The breakdown chart's segment lines: drawn, named in a legend, labels escaped."""

from __future__ import annotations

import datetime as dt
import re

from agent.web.views.charts import Overlay, breakdown_chart

DAYS = [dt.date(2026, 3, 1) + dt.timedelta(days=i) for i in range(4)]
HOSTILE = "cause segment channel=<script>alert(1)</script>"


def _chart(*overlays: Overlay) -> str:
    return str(
        breakdown_chart(
            [(d, 0.8) for d in DAYS],
            baseline=0.8,
            band=(0.75, 0.85),
            window=(DAYS[2], DAYS[3]),
            fmt=lambda v: f"{v:.0%}",
            title="conversion",
            overlays=overlays,
        )
    )


def test_without_overlays_the_chart_has_no_legend_and_no_segment_line() -> None:
    svg = _chart()
    assert "chart-legend" not in svg and "chart-segment" not in svg
    assert 'class="chart-line"' in svg


def test_overlays_add_lines_and_a_legend_with_escaped_labels() -> None:
    segment = Overlay(
        "chart-segment", HOSTILE, [(d, v) for d, v in zip(DAYS, (0.8, 0.8, 0.4, 0.3), strict=True)]
    )
    rest = Overlay("chart-rest", "rest of stage", [(d, 0.81) for d in DAYS])
    svg = _chart(segment, rest)
    assert "<script>" not in svg
    assert "channel=&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert re.findall(r'class="chart-label chart-legend"[^>]*>([^<]*)</text>', svg) == [
        "stage total",
        "cause segment channel=&lt;script&gt;alert(1)&lt;/script&gt;",
        "rest of stage",
    ]
    assert svg.count('<polyline class="chart-segment"') == 1
    assert svg.count('<polyline class="chart-rest"') == 1


def test_a_long_label_is_cut_in_the_legend_but_whole_in_the_line_title() -> None:
    label = "cause segment " + "x" * 200
    svg = _chart(Overlay("chart-segment", label, [(d, 0.5) for d in DAYS]))
    assert f"<title>{label}</title>" in svg and "x" * 40 + "…" in svg
