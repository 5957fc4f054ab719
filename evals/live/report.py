"""Score a replay: time to detect by effect size, segment share and volume, false alarms.

A watch incident detects a break when it opens on the break's stage between the break's
start and its end; its time to detect is the cycle time it opened at minus the start.
The daily scan detects it with the first scan (reported at 06:00 the next morning) whose
window holds the start and that flags the stage. Anything else either opens is a false
alarm, counted per 100 stage-days of the replay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel

from evals.live.data import Break
from evals.live.replay import Grid, Replayed, replay

_SCAN_WINDOW_DAYS = 7


class CaseResult(BaseModel):
    """One planted break and how each detector did."""

    stage: str
    visits_per_hour: float
    segment: dict[str, str]
    share: float
    size: float
    start: dt.datetime
    watch_minutes: float | None
    watch_segment_ok: bool
    scan_minutes: float | None


class DetectorScore(BaseModel):
    """Time to detect (minutes) and false alarms of one detector."""

    detected: int
    planted: int
    median_minutes: float | None
    p90_minutes: float | None
    false_alarms: int
    false_alarms_per_100_stage_days: float
    by_group: dict[str, dict[str, float | None]]


class FalseAlarm(BaseModel):
    """An incident the watch opened with no break under way on its stage."""

    at: dt.datetime
    stage: str
    segment: dict[str, str]


class LiveReport(BaseModel):
    """The `journeyops eval live --json` contract."""

    seed: int
    days: int
    batch_minutes: int
    stage_days: int
    cycles: int
    cycle_seconds_median: float
    cycle_seconds_p90: float
    watch: DetectorScore
    daily_scan: DetectorScore
    cases: list[CaseResult]
    false_alarms: list[FalseAlarm] = []


def _share(b: Break) -> float:
    from_data = {"kiosk": 0.1, "app": 0.3, "web": 0.6}
    return from_data.get(dict(b.segment).get("channel", ""), 1.0)


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def score(rep: Replayed, *, seed: int, batch_minutes: int) -> LiveReport:
    """Return the report of a replay."""
    volume = {s.stage: s.visits_per_hour for s in rep.stages}
    cases: list[CaseResult] = []
    watch_used: set[int] = set()
    scan_used: set[int] = set()
    for b in rep.breaks:
        hits = [
            (i, o)
            for i, o in enumerate(rep.opened)
            if o.stage == b.stage and b.start <= o.at <= b.end and i not in watch_used
        ]
        first = min(hits, key=lambda h: h[1].at, default=None)
        if first is not None:
            watch_used.add(first[0])
        found = [
            (i, s)
            for i, s in enumerate(rep.scanned)
            if s[0] == b.stage
            and b.start.date() <= s[1] < b.start.date() + dt.timedelta(days=_SCAN_WINDOW_DAYS)
        ]
        scan_used.update(i for i, _ in found)
        scan_first = min((s[2] for _, s in found), default=None)
        cases.append(
            CaseResult(
                stage=b.stage,
                visits_per_hour=volume[b.stage],
                segment=dict(b.segment),
                share=_share(b),
                size=b.size,
                start=b.start,
                watch_minutes=None if first is None else _minutes(first[1].at - b.start),
                watch_segment_ok=first is not None and first[1].segment == dict(b.segment),
                scan_minutes=None if scan_first is None else _minutes(scan_first - b.start),
            )
        )
    stage_days = len(rep.stages) * rep.days
    cycles = rep.cycle_seconds or [0.0]
    return LiveReport(
        seed=seed,
        days=rep.days,
        batch_minutes=batch_minutes,
        stage_days=stage_days,
        cycles=len(rep.cycle_seconds),
        cycle_seconds_median=round(float(np.median(cycles)), 3),
        cycle_seconds_p90=round(float(np.percentile(cycles, 90)), 3),
        watch=_detector(cases, "watch_minutes", len(rep.opened) - len(watch_used), stage_days),
        daily_scan=_detector(cases, "scan_minutes", len(rep.scanned) - len(scan_used), stage_days),
        cases=cases,
        false_alarms=[
            FalseAlarm(at=o.at, stage=o.stage, segment=o.segment)
            for i, o in enumerate(rep.opened)
            if i not in watch_used
        ],
    )


def _minutes(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def _detector(
    cases: list[CaseResult], field: str, false_alarms: int, stage_days: int
) -> DetectorScore:
    times = [getattr(c, field) for c in cases if getattr(c, field) is not None]
    groups: dict[str, list[float | None]] = {}
    for c in cases:
        key = f"size={c.size:.0%} share={c.share:.0%} visits/h={c.visits_per_hour:g}"
        groups.setdefault(key, []).append(getattr(c, field))
    by_group = {}
    for key, values in sorted(groups.items()):
        found = [v for v in values if v is not None]
        by_group[key] = {
            "detected_share": round(len(found) / len(values), 2),
            "median_minutes": _pct(found, 50),
        }
    return DetectorScore(
        detected=len(times),
        planted=len(cases),
        median_minutes=_pct(times, 50),
        p90_minutes=_pct(times, 90),
        false_alarms=false_alarms,
        false_alarms_per_100_stage_days=round(100 * false_alarms / max(stage_days, 1), 2),
        by_group=by_group,
    )


def run_live(
    *,
    seed: int = 16,
    days: int = 4,
    break_days: int = 4,
    batch_minutes: int = 15,
    scan: bool = True,
    grid: Grid = Grid(),  # noqa: B008 - frozen
    status: Callable[[str], None] = lambda _m: None,
) -> LiveReport:
    """Replay `days` days (breaks on the first `break_days`) and score watch and scan."""
    rep = replay(
        seed=seed,
        days=days,
        break_days=break_days,
        batch_minutes=batch_minutes,
        scan=scan,
        grid=grid,
        status=status,
    )
    return score(rep, seed=seed, batch_minutes=batch_minutes)
