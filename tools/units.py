"""Human formatting of metric values and money, shared by narratives and reports."""

from __future__ import annotations

from store.catalog import MetricDef


def format_value(metric: MetricDef, value: float | None) -> str:
    """Format a metric value in its unit (rates as percentages, seconds as durations)."""
    if value is None:
        return "n/a"
    if metric.unit == "rate":
        return f"{value:.1%}"
    if metric.unit == "seconds":
        return format_seconds(value)
    if metric.unit == "money":
        return f"{value:,.2f}"
    return f"{value:.2f}"


def format_seconds(value: float) -> str:
    """Format seconds as `45 s`, `12.5 min` or `3.2 h`."""
    if abs(value) < 120:
        return f"{value:.0f} s"
    if abs(value) < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def format_money(amount: float, currency: str) -> str:
    """Format an amount of money with its currency code."""
    return f"{currency} {amount:,.0f}"


def format_segment(segment: dict[str, str]) -> str:
    """Format a segment as `channel=app & app_version=5.2` (sorted pairs)."""
    return " & ".join(f"{k}={v}" for k, v in sorted(segment.items())) or "all traffic"
