"""Minute-level events with hour-of-week seasonality and planted breaks of known shape.

Every stage has its own hourly volume (a daily cycle, quieter weekends) and conversion
(a small hour-of-day wave, lower for the `kiosk` channel); day-to-day conversion wobbles
a little beyond sampling noise, as real stages do. A break lowers conversion by a relative
`size` for one segment (or the whole stage) from `start` to `end`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

JOURNEY = "shop"
# (value, share) per dimension: `kiosk` holds 10 % of a stage, `app` 30 %.
CHANNELS = (("web", 0.6), ("app", 0.3), ("kiosk", 0.1))
DEVICES = (("desktop", 0.5), ("mobile", 0.5))
_CHANNEL_LIFT = {"web": 1.0, "app": 0.97, "kiosk": 0.9}


@dataclass(frozen=True)
class StageSpec:
    """One stage: mean visits an hour and mean conversion."""

    stage: str
    visits_per_hour: float
    conversion: float


@dataclass(frozen=True)
class Break:
    """A planted drop: `size` is relative (0.3 = −30 %); an empty segment is the stage."""

    stage: str
    start: dt.datetime
    end: dt.datetime
    size: float
    segment: tuple[tuple[str, str], ...] = ()


def _profile(hours: np.ndarray) -> np.ndarray:
    """Return the volume multiplier of each hour index (hours since the epoch, UTC)."""
    hod = hours % 24
    dow = (hours // 24 + 3) % 7  # 0 = Monday
    daily = 0.35 + 0.65 * np.clip(np.sin(np.pi * (hod - 6) / 16), 0, None) ** 0.7
    weekend = np.where(dow >= 5, 0.8, 1.0)
    return daily * weekend / 0.62


def generate(
    stages: list[StageSpec],
    *,
    start: dt.datetime,
    end: dt.datetime,
    breaks: list[Break],
    seed: int,
) -> pd.DataFrame:
    """Return the events of [start, end) (ts, journey, stage, customer_id, completed, dims)."""
    rng = np.random.default_rng(seed)
    first = int(start.timestamp() // 3600)
    hours = np.arange(first, int(end.timestamp() // 3600))
    parts = []
    for i, spec in enumerate(stages):
        counts = rng.poisson(spec.visits_per_hour * _profile(hours))
        total = int(counts.sum())
        hour_of = np.repeat(hours, counts)
        ts = hour_of * 3600 + rng.integers(0, 3600, total)
        channel = rng.choice([c for c, _ in CHANNELS], total, p=[p for _, p in CHANNELS])
        device = rng.choice([d for d, _ in DEVICES], total, p=[p for _, p in DEVICES])
        days = (hours - first) // 24
        wobble = 1 + rng.normal(0, 0.01, int(days.max()) + 1)
        wave = 1 + 0.03 * np.sin(2 * np.pi * (hour_of % 24) / 24)
        lift = pd.Series(channel).map(_CHANNEL_LIFT).to_numpy()
        p = spec.conversion * wave * lift * wobble[(hour_of - first) // 24]
        for b in (b for b in breaks if b.stage == spec.stage):
            hit = (ts >= b.start.timestamp()) & (ts < b.end.timestamp())
            for dim, value in b.segment:
                hit &= (channel if dim == "channel" else device) == value
            p = np.where(hit, p * (1 - b.size), p)
        completed = (rng.random(total) < np.clip(p, 0, 1)).astype(np.int8)
        parts.append(
            pd.DataFrame(
                {
                    "ts": ts,
                    "journey": JOURNEY,
                    "stage": spec.stage,
                    "customer_id": [f"c{i}-{seed}-{n}" for n in range(total)],
                    "completed": completed,
                    "channel": channel,
                    "device": device,
                }
            )
        )
    events = pd.concat(parts, ignore_index=True).sort_values("ts", kind="stable")
    events["ts"] = pd.to_datetime(events["ts"], unit="s", utc=True)
    return events.reset_index(drop=True)


def write_batch(events: pd.DataFrame, path: Path) -> Path:
    """Write events as a CSV micro-batch file (ISO-8601 UTC timestamps)."""
    out = events.assign(ts=events["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    out.to_csv(path, index=False)
    return path


def write_history(events: pd.DataFrame, path: Path) -> Path:
    """Write a large block of events as Parquet (one bulk ingest)."""
    out = events.assign(ts=events["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    out.to_parquet(path, index=False)
    return path
