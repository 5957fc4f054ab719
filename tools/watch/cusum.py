"""One-sided CUSUM on volume-standardised bins, with a threshold for a target run length.

Each bin of a series brings its volume n and its sum x. Against the hour-of-week baseline
(mean μ, per-visit variance s², baseline volume N, over-dispersion φ) the bin's deficit in
the bad direction is d = ±(nμ − x) with variance V = φ s² (n + B n²/N): sampling noise of
the bin plus that of the baseline mean, which the B bins of an hour share (so a run of an
hour has the variance of an hour, s² (Bn + (Bn)²/N), not B times that of one bin). The
CUSUM adds the log-likelihood ratio of a shift of Δ = `reference_change` × μ × n against
none, Δ/V · d − Δ²/(2V), and floors at 0; a quiet hour adds little, a busy one a lot, so
the statistic is volume-aware.

The threshold h comes from Siegmund's approximation of the in-control average run length
of a normal CUSUM, ARL ≈ (e^{2kb} − 2kb − 1)/(2k²) with b = h/δ + 1.166 and k = δ/2, at
the series' typical standardised shift δ = Δ/√V per bin; it is solved for the target ARL
in bins, which is the stage's target days between false alarms × its number of series
(a Bonferroni split), so repeated looks every few minutes keep the false-alarm rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tools.watch.baseline import HOURS_PER_WEEK, unit_variance

Direction = Literal["higher", "lower"]
_SIEGMUND = 1.166


@dataclass(frozen=True)
class SeriesState:
    """Where one series' CUSUM stands at the end of the recent window."""

    statistic: float
    threshold: float
    # First bin of the run that the statistic has been accumulating since (the onset).
    onset_bin: int | None
    # Sums since the onset: observed and expected numerator, and the denominator.
    num: float
    num_expected: float
    den: float
    # Variance of (observed − expected) numerator since the onset.
    variance: float
    # Standardised deficit of the last bins (the resolve check); 0 when they are empty.
    recent_z: float
    recent_den: float

    @property
    def alarmed(self) -> bool:
        return self.statistic > self.threshold


def _arl(k: float, b: float) -> float:
    x = 2 * k * b
    return (math.exp(min(x, 700.0)) - x - 1) / (2 * k * k)


def threshold_for_arl(delta: float, arl_bins: float) -> float:
    """Return h (log-likelihood units) whose in-control ARL is `arl_bins` at shift δ per bin."""
    if delta <= 0:
        return math.inf
    k = delta / 2
    lo, hi = 0.0, 1.0
    while _arl(k, hi) < arl_bins:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _arl(k, mid) < arl_bins else (lo, mid)
    return max(delta * (hi - _SIEGMUND), delta / 2)


def typical_delta(
    *,
    den: np.ndarray,
    num: np.ndarray,
    num2: np.ndarray,
    weeks: np.ndarray,
    phi: float,
    reference_change: float,
    bins_per_hour: int,
) -> float:
    """Return the standardised reference shift of a typical bin of a series (median hour)."""
    ok = den > 0
    if not ok.any():
        return 0.0
    mean = num[ok] / den[ok]
    var_unit = unit_variance(num[ok], num2[ok], den[ok])
    n = den[ok] / np.maximum(weeks[ok], 1) / bins_per_hour
    shift = reference_change * np.abs(mean) * n
    var = phi * var_unit * (n + bins_per_hour * n * n / den[ok])
    return float(np.median(shift / np.sqrt(var)))


def run_cusum(
    *,
    bins: np.ndarray,
    num: np.ndarray,
    den: np.ndarray,
    baseline: dict[int, tuple[float, float, float]],
    phi: float,
    direction: Direction,
    reference_change: float,
    threshold: float,
    bin_minutes: int,
    recent_from: int,
) -> SeriesState:
    """Run the CUSUM over the bins (ascending) of one series.

    `baseline` maps an hour-of-week slot to (Σden, Σnum, Σnum²) over the prior weeks; bins
    whose slot has no baseline, and empty bins, add nothing. Bins from `recent_from` on
    make the recent deficit that tells whether an incident has resolved.
    """
    sign = 1.0 if direction == "higher" else -1.0
    per_hour = 60 // bin_minutes
    stat, onset = 0.0, None
    run_num = run_exp = run_den = run_var = 0.0
    recent_d = recent_v = recent_n = 0.0
    for b, x, n in zip(bins.tolist(), num.tolist(), den.tolist(), strict=True):
        slot = baseline.get((b * bin_minutes // 60) % HOURS_PER_WEEK)
        if slot is None or n <= 0 or slot[0] <= 0:
            continue
        b_den, b_num, b_num2 = slot
        mu = b_num / b_den
        var_unit = float(unit_variance(np.array(b_num), np.array(b_num2), np.array(b_den)))
        var = phi * var_unit * (n + per_hour * n * n / b_den)
        deficit = sign * (n * mu - x)
        shift = reference_change * abs(mu) * n
        stat += shift / var * deficit - shift * shift / (2 * var)
        if stat <= 0:
            stat, onset = 0.0, None
            run_num = run_exp = run_den = run_var = 0.0
        else:
            onset = b if onset is None else onset
            run_num, run_exp, run_den = run_num + x, run_exp + n * mu, run_den + n
            run_var += var
        if b >= recent_from:
            recent_d, recent_v, recent_n = recent_d + deficit, recent_v + var, recent_n + n
    return SeriesState(
        statistic=stat,
        threshold=threshold,
        onset_bin=onset,
        num=run_num,
        num_expected=run_exp,
        den=run_den,
        variance=run_var,
        recent_z=recent_d / math.sqrt(recent_v) if recent_v > 0 else 0.0,
        recent_den=recent_n,
    )
