"""Human formatting of every number a reader sees: metric values, money, counts, p-values,
shares of a change and theme lifts. Terminal, Markdown, HTML, the weekly review and chat
all format through these functions, so one number reads the same everywhere and never in
scientific notation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from store.catalog import MetricDef
from store.findings import Theme

# Below this a p-value only says "very unlikely by chance"; more digits would be noise.
_P_FLOOR = 0.001


def format_value(metric: MetricDef, value: float | None) -> str:
    """Format a metric value in its unit (rates as percentages, seconds as durations)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if metric.unit == "rate":
        return format_percent(value, decimals=1)
    if metric.unit == "seconds":
        return format_seconds(value)
    if metric.unit == "money":
        return f"{value:,.2f}"
    if metric.unit == "count":
        return format_count(value)
    return f"{value:,.2f}"


def format_seconds(value: float) -> str:
    """Format seconds as `45 s`, `12.5 min`, `3.2 h` or `4.1 days`."""
    if abs(value) < 120:
        return f"{value:.0f} s"
    if abs(value) < 7200:
        return f"{value / 60:.1f} min"
    if abs(value) < 3 * 86400:
        return f"{value / 3600:.1f} h"
    return f"{value / 86400:.1f} days"


def format_money(amount: float, currency: str) -> str:
    """Format an amount of money with its currency code."""
    return f"{currency} {amount:,.0f}"


def format_count(value: float) -> str:
    """Format a count of visits, mentions or actions: `12,345`."""
    return f"{value:,.0f}"


def format_percent(share: float, *, decimals: int = 0) -> str:
    """Format a share of one as a percentage: `82.4%`."""
    return f"{share * 100:.{decimals}f}%"


def format_p(p_value: float) -> str:
    """Format a p-value as `p < 0.001` or `p = 0.023` (never scientific notation)."""
    if p_value < _P_FLOOR:
        return f"p < {_P_FLOOR}"
    return f"p = {p_value:.3f}" if p_value < 0.01 else f"p = {p_value:.2f}"


def format_share(share: float) -> str:
    """Format a segment's share of a change; shares past 0–100 % are capped and explained.

    A segment can account for more than the whole change when the rest of the stage moved
    the other way, and for less than none when it moved against the change.
    """
    if share > 1.005:
        return f"100% (capped from {format_percent(share)}: the rest moved the other way)"
    if share < -0.005:
        return f"0% (it moved against the change, by {format_percent(-share)})"
    return format_percent(min(max(share, 0.0), 1.0))


def format_mentions(
    count: int, baseline_count: int, lift: float, *, window_days: int, baseline_days: int
) -> str:
    """Say how often a theme came up now and before, and its lift on mentions per day.

    The lift compares daily rates (the baseline smoothed by one mention), not raw counts,
    because the baseline usually spans more days than the window.
    """
    if window_days <= 0 or baseline_days <= 0:
        return (
            f"{format_count(count)} mentions vs {format_count(baseline_count)} in the baseline "
            f"(lift {lift:.1f}× on mentions per day)"
        )
    now, before = count / window_days, baseline_count / baseline_days
    return (
        f"{format_count(count)} mentions in {window_days} days vs "
        f"{format_count(baseline_count)} in {baseline_days} baseline days, "
        f"{now:.1f} vs {before:.1f} a day (lift {lift:.1f}× on mentions per day)"
    )


def theme_mentions(theme: Theme) -> str:
    """Return `format_mentions` for a theme found by a scan."""
    return format_mentions(
        theme.count,
        theme.baseline_count,
        theme.lift,
        window_days=theme.window_days,
        baseline_days=theme.baseline_days,
    )


def format_segment(segment: dict[str, str], escape: Callable[[str], str] = str) -> str:
    """Format a segment as `channel=app & app_version=5.2` (sorted pairs).

    `escape` renders each name and value safe for the output at hand (the data may hold
    markup); the `=` and ` & ` around them are ours.
    """
    pairs = sorted(segment.items())
    return " & ".join(f"{escape(k)}={escape(v)}" for k, v in pairs) or "all traffic"
