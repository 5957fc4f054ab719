"""The CUSUM: threshold from the target run length, volume-aware alarms, onset and resolve."""

from __future__ import annotations

import numpy as np
import pytest

from tools.watch import run_cusum, threshold_for_arl

BIN_MINUTES = 10
RATE = 0.8
# Four baseline weeks of 600 visits in every hour-of-week slot at the base rate.
BASELINE = {h: (2400.0, 2400.0 * RATE, 2400.0 * RATE) for h in range(168)}


def _run(x: np.ndarray, n: np.ndarray, threshold: float, direction: str = "higher") -> object:
    bins = np.arange(1000, 1000 + len(n))
    return run_cusum(
        bins=bins,
        num=x,
        den=n,
        baseline=BASELINE,
        phi=1.0,
        direction=direction,  # type: ignore[arg-type]
        reference_change=0.25,
        threshold=threshold,
        bin_minutes=BIN_MINUTES,
        recent_from=int(bins[-1]) - 5,
    )


@pytest.mark.parametrize(("delta", "arl"), [(0.5, 1e3), (0.5, 1e5), (2.0, 1e3), (2.0, 1e5)])
def test_threshold_grows_with_the_target_run_length(delta: float, arl: float) -> None:
    assert threshold_for_arl(delta, arl * 10) > threshold_for_arl(delta, arl) > 0


def test_in_control_series_rarely_alarms_at_the_chosen_threshold() -> None:
    rng = np.random.default_rng(3)
    n = np.full(144, 30.0)
    delta = 0.25 * RATE * 30 / np.sqrt(30 * RATE * (1 - RATE) * (1 + 30 / 2400))
    h = threshold_for_arl(float(delta), 144 * 50)
    alarms = sum(_run(rng.binomial(30, RATE, 144).astype(float), n, h).alarmed for _ in range(200))
    # A target of one false alarm per 50 days allows a few in 200 days.
    assert alarms <= 12


@pytest.mark.parametrize(
    ("visits", "drop", "direction", "alarms"),
    [
        (30.0, 0.4, "higher", True),  # a drop in a rate where higher is better
        (30.0, -0.2, "higher", False),  # a rise is never an alarm for a higher-is-better metric
        (3.0, 0.05, "higher", False),  # a small change on a thin series stays under the bar
        (30.0, -0.2, "lower", True),  # a rise is bad when lower is better
    ],
)
def test_alarm_follows_direction_and_volume(
    visits: float, drop: float, direction: str, alarms: bool
) -> None:
    n = np.full(36, visits)
    x = np.round(n * RATE * (1 - drop))
    assert _run(x, n, threshold=8.0, direction=direction).alarmed is alarms


def test_onset_and_sums_start_where_the_break_began() -> None:
    n = np.full(36, 30.0)
    x = np.where(np.arange(36) >= 12, n * RATE * 0.5, n * RATE)
    state = _run(x, n, threshold=8.0)
    assert state.onset_bin == 1012
    assert state.den == 24 * 30 and state.num < state.num_expected
    assert state.recent_z > 3


def test_recent_bins_look_healthy_after_recovery() -> None:
    n = np.full(36, 30.0)
    x = np.where((np.arange(36) >= 6) & (np.arange(36) < 20), n * RATE * 0.5, n * RATE)
    state = _run(x, n, threshold=8.0)
    assert abs(state.recent_z) < 1


def test_a_run_of_an_hour_carries_the_baseline_error_once_for_the_hour() -> None:
    # Six 10-minute bins of one hour share that hour's baseline mean: the run's variance is
    # the hour's, s² (6n + (6n)²/N), not six bins' s² (n + n²/N) each.
    n = np.full(6, 100.0)
    state = _run(np.zeros(6), n, threshold=1e9)
    unit = RATE * (1 - RATE)
    assert state.onset_bin == 1000  # type: ignore[attr-defined]
    assert state.variance == pytest.approx(unit * (600 + 600 * 600 / 2400))  # type: ignore[attr-defined]
