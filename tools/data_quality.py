"""Data-quality checks: tracking gaps found per journey × stage × segment, day by day.

A broken tracker does not always move a metric: when a segment's rows vanish at one
stage, the rows left convert as before. These checks look at the data itself, each window
day against the same weekday of the baseline weeks: volumes that collapse, measures that
stop arriving, customers who reach a stage with no record at the stage before, rows with
impossible values, and rows dated in the future. `agent.investigate.check_data_quality`
groups the findings into `tracking_gap` incidents for the data owner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from store.catalog import MetricDef
from tools.detect import Periods

Check = Literal["volume_drop", "source_quiet", "measure_missing", "funnel_break", "impossible"]
# Survey scores are sparse by design: their absence says nothing about tracking.
_SPARSE = {"csat", "nps"}
_KEY = ["journey", "stage", "dim", "value"]
# Share of a stage's excess a single segment must carry to be named as the cause.
_COVER = 0.8


class DataQualitySettings(BaseModel):
    """The `[data_quality]` table of config.toml: when a day's data counts as broken."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    # A day whose visits fall to this share of the same weekday's baseline (or below).
    volume_drop: float = Field(default=0.25, gt=0, lt=1)
    # Segments expected to have fewer visits a day than this are not judged (too noisy).
    min_daily_visits: float = Field(default=20.0, ge=1)
    # A measure present on at least this share of baseline rows that falls to
    # `measure_drop` times that share on a day has stopped arriving.
    min_presence: float = Field(default=0.8, gt=0, le=1)
    measure_drop: float = Field(default=0.5, gt=0, lt=1)
    # Rise in the share of a stage's customers with no record at the stage before.
    funnel_jump: float = Field(default=0.2, gt=0, le=1)
    min_orphans: int = Field(default=10, ge=1)


class Finding(BaseModel):
    """One check failing on one journey stage and segment, with the days affected."""

    journey: str
    stage: str
    segment: dict[str, str]
    check: Check
    days: list[dt.date]
    note: str


def probe_metrics(
    measures: Sequence[str], ranges: dict[str, tuple[float | None, float | None]]
) -> list[MetricDef]:
    """Return the metrics whose sums the checks read: presence and impossible values."""
    out = []
    for m in measures:
        if m not in _SPARSE:
            out.append(_probe(f"dq_has_{m}", f"count:{m}"))
        low, high = ranges.get(m, (None, None))
        if low is not None:
            out.append(_probe(f"dq_low_{m}", f"{m}<{low:g}"))
        if high is not None:
            out.append(_probe(f"dq_high_{m}", f"{m}>{high:g}"))
    return out


def _probe(name: str, numerator: str) -> MetricDef:
    return MetricDef.model_validate(
        {
            "name": name,
            "label": name,
            "numerator": numerator,
            "denominator": "visits",
            "direction": "higher",
            "unit_value": 0.0,
        }
    )


def _pivot(frame: pd.DataFrame, column: str, days: list[dt.date]) -> pd.DataFrame:
    table = frame.pivot_table(index=_KEY, columns="day", values=column, aggfunc="sum")
    return table.reindex(columns=days, fill_value=0.0).fillna(0.0)


def _baseline_days(day: dt.date, baseline: set[dt.date]) -> list[dt.date]:
    return [
        day - dt.timedelta(weeks=k) for k in range(1, 27) if day - dt.timedelta(weeks=k) in baseline
    ]


def _segment(key: tuple[str, ...]) -> dict[str, str]:
    return {key[2]: key[3]} if key[2] else {}


def _collect(flags: dict[dt.date, pd.Series], check: Check, note: str) -> list[Finding]:
    days_by_key: dict[tuple[str, ...], list[dt.date]] = {}
    for day, flagged in flags.items():
        for key in flagged[flagged].index:
            days_by_key.setdefault(tuple(str(k) for k in key), []).append(day)
    return [
        Finding(
            journey=k[0], stage=k[1], segment=_segment(k), check=check, days=sorted(d), note=note
        )
        for k, d in days_by_key.items()
    ]


def check_volumes(frame: pd.DataFrame, periods: Periods, s: DataQualitySettings) -> list[Finding]:
    """Find segments (and whole stages) whose daily visits collapsed against the baseline."""
    days = sorted({*periods.window, *periods.baseline})
    visits = _pivot(frame, "visits", days)
    flags = {}
    for day in periods.window:
        base = _baseline_days(day, set(periods.baseline))
        if not base:
            continue
        expected = visits[base].mean(axis=1)
        flags[day] = (expected >= s.min_daily_visits) & (visits[day] <= s.volume_drop * expected)
    found = _collect(
        flags, "volume_drop", f"visits fell to {s.volume_drop:.0%} of the usual or less"
    )
    return _quiet_sources(_without_covered(found))


def check_measures(frame: pd.DataFrame, periods: Periods, s: DataQualitySettings) -> list[Finding]:
    """Find segments where a measure that nearly always arrives stopped arriving."""
    days = sorted({*periods.window, *periods.baseline})
    visits = _pivot(frame, "visits", days)
    found: list[Finding] = []
    for col in (c for c in frame.columns if c.startswith("dq_has_") and c.endswith("__num")):
        measure = col.removeprefix("dq_has_").removesuffix("__num")
        present = _pivot(frame, col, days)
        base = [d for d in periods.baseline if d in present.columns]
        share_b = present[base].sum(axis=1) / visits[base].sum(axis=1).where(lambda v: v > 0)
        flags = {}
        for day in periods.window:
            share = present[day] / visits[day].where(visits[day] > 0)
            flagged = (
                (share_b >= s.min_presence)
                & (visits[day] >= s.min_daily_visits)
                & (share <= s.measure_drop * share_b)
            )
            drop = (share_b - share).fillna(0.0)
            flags[day] = _localized(flagged, drop * visits[day], drop)
        found += _collect(flags, "measure_missing", f"{measure} stopped arriving")
    return found


def check_impossible(frame: pd.DataFrame, periods: Periods) -> list[Finding]:
    """Find stages with rows whose measures are outside their possible range."""
    bad = [
        c for c in frame.columns if c.startswith(("dq_low_", "dq_high_")) and c.endswith("__num")
    ]
    if not bad:
        return []
    totals = frame[(frame["dim"] == "") & frame["day"].isin(set(periods.window))]
    count = totals[bad].sum(axis=1)
    hit = totals[count > 0]
    found: dict[tuple[str, str], list[dt.date]] = {}
    for row in hit.itertuples():
        found.setdefault((str(row.journey), str(row.stage)), []).append(row.day)
    return [
        Finding(
            journey=j,
            stage=st,
            segment={},
            check="impossible",
            days=sorted(set(d)),
            note="rows with impossible values (negative or off-scale measures)",
        )
        for (j, st), d in found.items()
    ]


def check_funnel(orphans: pd.DataFrame, periods: Periods, s: DataQualitySettings) -> list[Finding]:
    """Find segments where customers reach a stage with no record at the stage before."""
    if orphans.empty:
        return []
    days = sorted({*periods.window, *periods.baseline})
    visits, lost = _pivot(orphans, "visits", days), _pivot(orphans, "orphans", days)
    base = list(periods.baseline)
    share_b = lost[base].sum(axis=1) / visits[base].sum(axis=1).where(lambda v: v > 0)
    flags = {}
    for day in periods.window:
        share = lost[day] / visits[day].where(visits[day] > 0)
        jump = (share - share_b).fillna(0.0)
        flagged = (
            (visits[day] >= s.min_daily_visits)
            & (lost[day] >= s.min_orphans)
            & (jump >= s.funnel_jump)
        )
        flags[day] = _localized(flagged, lost[day] - share_b.fillna(0.0) * visits[day], jump)
    note = "customers reached this stage with no record at the stage before"
    return _collect(flags, "funnel_break", note)


def _localized(flagged: pd.Series, excess: pd.Series, jump: pd.Series) -> pd.Series:
    """Keep, per stage, the flags that say where the problem is.

    A stage-wide flag gives way to the one segment carrying at least `_COVER` of its excess
    (the largest jump among them), since the whole stage then only looks broken through
    it; a stage-wide flag no segment explains stays, and its segments' flags go. Without
    a stage-wide flag, only the dimension whose flagged values carry the most excess keeps
    its flags: a gap in one device shows, diluted, in some regions too.
    """
    flagged = flagged.fillna(False).astype(bool)
    out = flagged.copy()
    index = flagged.index.to_frame(index=False)
    stages = index[["journey", "stage"]].drop_duplicates().itertuples(index=False)
    for journey, stage in stages:
        same = ((index["journey"] == journey) & (index["stage"] == stage)).to_numpy()
        total = same & (index["dim"] == "").to_numpy()
        segments = same & ~total & flagged.to_numpy()
        if total.any() and flagged.to_numpy()[total].any():
            pos = int(total.nonzero()[0][0])
            out.iloc[same & ~total] = False
            covering = segments & (excess.to_numpy() >= _COVER * excess.iloc[pos])
            if covering.any():
                best = max(covering.nonzero()[0], key=lambda i: float(jump.iloc[i]))
                out.iloc[pos], out.iloc[best] = False, True
            continue
        if segments.any():
            carried = excess[segments].groupby(level="dim").sum()
            keep = (index["dim"] == str(carried.idxmax())).to_numpy()
            out.iloc[segments & ~keep] = False
    return out


def _without_covered(found: list[Finding]) -> list[Finding]:
    """Drop segment findings on days when their whole stage is already flagged."""
    whole = {(f.journey, f.stage, f.check, d) for f in found if not f.segment for d in f.days}
    out = []
    for f in found:
        days = [d for d in f.days if not f.segment or (f.journey, f.stage, f.check, d) not in whole]
        if days:
            out.append(f.model_copy(update={"days": days}))
    return out


def _quiet_sources(found: list[Finding]) -> list[Finding]:
    """Merge whole-stage volume drops covering every flagged stage of a journey into one."""
    by_journey: dict[str, list[Finding]] = {}
    for f in found:
        if not f.segment:
            by_journey.setdefault(f.journey, []).append(f)
    out = [f for f in found if f.segment]
    for stages in by_journey.values():
        if len(stages) > 1 and len({tuple(f.days) for f in stages}) == 1:
            note = "no events arrived from the whole journey"
            out += [f.model_copy(update={"check": "source_quiet", "note": note}) for f in stages]
        else:
            out += stages
    return out
