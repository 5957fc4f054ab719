"""False alarms of the watch's CUSUM on incident-free series, by simulation.

`python -m evals.live.null_rate [--visits V] [--bin-minutes M] [--draws D] [--days N]`
draws D baselines of a rate series (four weeks of hourly visits at V an hour, conversion
0.72), then N incident-free days of bins, and runs the shipped threshold and CUSUM
(`tools.watch.cusum`) as a watch cycle would: every hour over the last 6 hours, restarting
after an alarm. It prints the false alarms per 200 days of one series next to the design
rate (one per 200 days per stage, split over six series). Used for docs/live.md's table.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from tools.watch.baseline import HOURS_PER_WEEK
from tools.watch.cusum import run_cusum, threshold_for_arl, typical_delta

_P = 0.72
_WEEKS = 4
_SERIES_PER_STAGE = 6
_STAGE_DAYS = 200.0
_WINDOW_HOURS = 6


def alarms_per_200_days(
    *, visits: float, bin_minutes: int, days: int, rng: np.random.Generator
) -> float:
    """Return one simulated series' false alarms per 200 days."""
    per_hour = 60 // bin_minutes
    den = rng.poisson(visits * _WEEKS, HOURS_PER_WEEK).astype(float)
    num = rng.binomial(den.astype(int), _P).astype(float)
    slots = {h: (den[h], num[h], num[h]) for h in range(HOURS_PER_WEEK) if den[h] > 0}
    delta = typical_delta(
        den=den,
        num=num,
        num2=num,
        weeks=np.full(HOURS_PER_WEEK, float(_WEEKS)),
        phi=1.0,
        reference_change=0.25,
        bins_per_hour=per_hour,
    )
    arl = _STAGE_DAYS * 24 * per_hour * _SERIES_PER_STAGE
    threshold = threshold_for_arl(delta, arl)
    bins = np.arange(days * 24 * per_hour)
    n = rng.poisson(visits / per_hour, len(bins)).astype(float)
    x = rng.binomial(n.astype(int), _P).astype(float)
    alarms, since = 0, 0
    for hour in range(_WINDOW_HOURS, days * 24):
        end = hour * per_hour
        start = max(end - _WINDOW_HOURS * per_hour, since)
        state = run_cusum(
            bins=bins[start:end],
            num=x[start:end],
            den=n[start:end],
            baseline=slots,
            phi=1.0,
            direction="higher",
            reference_change=0.25,
            threshold=threshold,
            bin_minutes=bin_minutes,
            recent_from=end,
        )
        if state.alarmed:
            alarms, since = alarms + 1, end
    return alarms * 200.0 / days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=float, default=200.0)
    parser.add_argument("--bin-minutes", type=int, default=10)
    parser.add_argument("--draws", type=int, default=30)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rates = [
        alarms_per_200_days(
            visits=args.visits, bin_minutes=args.bin_minutes, days=args.days, rng=rng
        )
        for _ in range(args.draws)
    ]
    report = {
        "visits_per_hour": args.visits,
        "bin_minutes": args.bin_minutes,
        "series_days": args.draws * args.days,
        "alarms_per_200_days": round(float(np.mean(rates)), 3),
        "design_per_200_days": round(1 / _SERIES_PER_STAGE, 3),
    }
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
