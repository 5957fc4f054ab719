"""Small events files of funnels unlike the demo's, with optional tracking gaps that remove rows.

A customer enters the first stage and moves on with each stage's probability; every stage
visited is one row. A gap deletes the rows of one stage and segment on some days while the
same customers still appear at later stages, as a broken tracker would.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

HEADER = ["ts", "journey", "stage", "customer_id", "completed", "duration_s", "region", "device"]
REGIONS = ("north", "south", "east", "west")
DEVICES = ("ios", "android", "web")


@dataclass(frozen=True)
class Gap:
    """Rows of `stage` in the segment `dim = value` are missing on `days`."""

    journey: str
    stage: str
    dim: str
    value: str
    days: tuple[dt.date, ...]


@dataclass
class Funnel:
    journey: str
    stages: list[str]
    move_on: list[float]
    per_day: int = 240
    gaps: list[Gap] = field(default_factory=list)
    # Rows kept, but their duration_s left empty (a measure that stopped arriving).
    blanks: list[Gap] = field(default_factory=list)


def last_days(end: dt.date, n: int) -> tuple[dt.date, ...]:
    """Return the `n` days ending on `end`."""
    return tuple(end - dt.timedelta(days=i) for i in range(n - 1, -1, -1))


def write_events(
    path: Path, funnels: list[Funnel], *, end: dt.date, days: int = 35, seed: int = 7
) -> Path:
    """Write `days` days of every funnel ending on `end` as an events CSV; return `path`."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for day in last_days(end, days):
            for f in funnels:
                for n in range(f.per_day):
                    _customer(out, rng, f, day, n)
    return path


def _customer(out: object, rng: random.Random, f: Funnel, day: dt.date, n: int) -> None:
    region, device = rng.choice(REGIONS), rng.choice(DEVICES)
    who = f"{f.journey[:3]}-{day:%m%d}-{n}"
    seconds = rng.randrange(3600 * 8, 3600 * 20)
    for i, stage in enumerate(f.stages):
        moved = rng.random() < f.move_on[i]
        seg = {"region": region, "device": device}
        hidden = _hit(f.gaps, f.journey, stage, seg, day)
        if not hidden:
            ts = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(
                seconds=seconds + 60 * i
            )
            row = [ts.isoformat(), f.journey, stage, who, int(moved)]
            duration = "" if _hit(f.blanks, f.journey, stage, seg, day) else rng.uniform(20, 90)
            row += [duration if duration == "" else round(float(duration), 1), region, device]
            out.writerow(row)  # type: ignore[attr-defined]
        if not moved:
            return


def _hit(gaps: list[Gap], journey: str, stage: str, seg: dict[str, str], day: dt.date) -> bool:
    return any(
        g.journey == journey and g.stage == stage and seg[g.dim] == g.value and day in g.days
        for g in gaps
    )
