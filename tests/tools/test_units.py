"""Every number a reader sees is formatted in its unit, never in scientific notation."""

from __future__ import annotations

import pytest

from agent.config import Settings
from tools.units import (
    format_mentions,
    format_p,
    format_seconds,
    format_share,
    format_value,
)


@pytest.mark.parametrize(
    ("metric", "value", "shown"),
    [
        ("conversion", 0.8244, "82.4%"),
        ("conversion", 0.7456, "74.6%"),
        ("duration", 136500.0, "37.9 h"),
        ("duration", 45.0, "45 s"),
        ("duration", 750.0, "12.5 min"),
        ("duration", 400000.0, "4.6 days"),
        ("csat", 4.123, "4.12"),
        ("cost_to_serve", 123456.789, "123,456.79"),
        ("conversion", None, "n/a"),
        ("conversion", float("nan"), "n/a"),
    ],
)
def test_metric_values_read_in_their_unit(
    settings: Settings, metric: str, value: float | None, shown: str
) -> None:
    assert format_value(settings.metrics[metric], value) == shown


@pytest.mark.parametrize(
    ("p", "shown"),
    [(1e-300, "p < 0.001"), (0.0004, "p < 0.001"), (0.0023, "p = 0.002"), (0.0456, "p = 0.05")],
)
def test_p_values_never_use_scientific_notation(p: float, shown: str) -> None:
    assert format_p(p) == shown


@pytest.mark.parametrize(
    ("share", "shown"),
    [
        (0.87, "87%"),
        (1.0, "100%"),
        (1.02, "100% (capped from 102%: the rest moved the other way)"),
        (1.17, "100% (capped from 117%: the rest moved the other way)"),
        (-0.2, "0% (it moved against the change, by 20%)"),
    ],
)
def test_shares_past_the_whole_change_are_capped_with_a_reason(share: float, shown: str) -> None:
    assert format_share(share) == shown


def test_theme_lift_is_stated_on_the_daily_rates_it_compares() -> None:
    line = format_mentions(36, 36, 3.89, window_days=7, baseline_days=28)
    assert line == (
        "36 mentions in 7 days vs 36 in 28 baseline days, 5.1 vs 1.3 a day "
        "(lift 3.9× on mentions per day)"
    )


def test_theme_lift_without_known_days_still_names_its_basis() -> None:
    line = format_mentions(36, 36, 3.9, window_days=0, baseline_days=0)
    assert "on mentions per day" in line


@pytest.mark.parametrize("seconds", [0.0, 1e-9, 1e12, -5000.0])
def test_durations_have_no_exponent(seconds: float) -> None:
    assert "e" not in format_seconds(seconds).replace("days", "").replace("min", "").replace(
        "s", ""
    )
