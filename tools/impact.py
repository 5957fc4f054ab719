"""Money impact: volume × rate change × unit value, per week."""

from __future__ import annotations

from store.catalog import MetricDef
from store.findings import Severity


def weekly_impact(
    *,
    metric: MetricDef,
    expected: float,
    current: float,
    den: float,
    window_days: int,
    unit_value: float | None = None,
) -> float:
    """Return the money lost per week by moving from `expected` to `current`.

    `den` is the window's denominator volume (visits, or visits with a measurement);
    `unit_value` overrides the catalog's money per visit for a one-unit change.
    """
    if not metric.worse(expected, current):
        return 0.0
    per_week = den * 7.0 / max(window_days, 1)
    value = metric.unit_value if unit_value is None else unit_value
    return abs(current - expected) * per_week * value


def severity(*, relative_change: float, per_week: float) -> Severity:
    """Grade a breakdown by how far the metric moved and how much money it costs."""
    rel = abs(relative_change)
    if rel >= 0.15 or per_week >= 25_000:
        return "high"
    if rel >= 0.07 or per_week >= 5_000:
        return "medium"
    return "low"
