"""Live detection: hour-of-week baselines and a one-sided CUSUM per series.

`settings` is the `[live]` table of config.toml; `baseline` turns prior weeks' hourly sums
into per-series hour-of-week means, variances and an over-dispersion factor; `cusum`
runs the sequential test on the recent window's bins and picks its threshold for a target
average run length between false alarms.
"""

from tools.watch.baseline import BaselineTable, build_baselines, series_key
from tools.watch.cusum import SeriesState, run_cusum, threshold_for_arl
from tools.watch.settings import LiveSettings

__all__ = [
    "BaselineTable",
    "LiveSettings",
    "SeriesState",
    "build_baselines",
    "run_cusum",
    "series_key",
    "threshold_for_arl",
]
