"""Replay generated days through the real drop-folder ingest and watch cycles.

History (five weeks) is one bulk ingest; then each replayed day arrives as micro-batch
CSV files of `batch_minutes`, each loaded by the watch's drop folder before its cycle, as
a pipeline would deliver them. At each midnight the daily scan runs on the same
warehouse for the day that ended (it would fire at 06:00), so both are scored on the
same data. Breaks are planted on a grid of effect size × segment share × stage volume.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from agent.config import DEFAULT_CONFIG, Settings, load_settings
from agent.context import RunContext, build_context
from agent.ingest import ingest_events
from agent.investigate.scan import run_scan
from agent.watch.loop import Watcher
from agent.workspace import Workspace
from evals.live.data import Break, StageSpec, generate, write_batch, write_history
from store.live.incidents import get_developing

HISTORY_DAYS = 36
SCAN_HOUR = 6
SIZES = (0.3, 0.5)
SHARES = (("kiosk", 0.1), ("app", 0.3))
VOLUMES = (200.0, 1000.0)


@dataclass(frozen=True)
class Opened:
    """One incident the watch opened: when, where and on which segment."""

    at: dt.datetime
    stage: str
    segment: dict[str, str]


@dataclass
class Replayed:
    """Everything the replay observed, for scoring."""

    stages: list[StageSpec]
    breaks: list[Break]
    days: int
    opened: list[Opened] = field(default_factory=list)
    # (stage, as_of day, time the scan would have reported it)
    scanned: list[tuple[str, dt.date, dt.datetime]] = field(default_factory=list)
    cycle_seconds: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Grid:
    """The planted breaks: every effect size × segment × stage volume, once."""

    sizes: tuple[float, ...] = SIZES
    shares: tuple[tuple[str, float], ...] = SHARES
    volumes: tuple[float, ...] = VOLUMES


def plan(
    *, seed: int, day0: dt.datetime, days: int, break_days: int, grid: Grid
) -> tuple[list[StageSpec], list[Break]]:
    """Return the stages (two per volume) and one break per grid cell over `break_days`."""
    rng = np.random.default_rng(seed)
    stages = [StageSpec(f"s{int(v)}{'ab'[i]}", v, 0.8) for v in grid.volumes for i in range(2)]
    cells = list(itertools.product(grid.sizes, grid.shares, grid.volumes))
    slots = [(d, s) for d in range(min(break_days, days)) for s in range(len(stages))]
    # Alternate stages per day, so every break day also has incident-free stages.
    slots = [(d, s) for d, s in slots if (d + s) % 2 == 0]
    breaks = []
    for (size, (channel, _share), volume), (d, _) in zip(cells, slots, strict=False):
        candidates = [
            st for i, st in enumerate(stages) if st.visits_per_hour == volume and (d + i) % 2 == 0
        ]
        if not candidates:
            continue
        start = day0 + dt.timedelta(days=d, minutes=int(rng.integers(8 * 60, 14 * 60)))
        breaks.append(
            Break(
                stage=candidates[0].stage,
                start=start,
                end=start + dt.timedelta(hours=4),
                size=size,
                segment=(("channel", channel),),
            )
        )
    return stages, breaks


def eval_settings() -> Settings:
    """Return the shipped settings with alerts off (an eval never sends anything)."""
    settings = load_settings(DEFAULT_CONFIG)
    live = settings.live.model_copy(update={"alert_target": ""})
    return settings.model_copy(update={"live": live})


def replay(
    *,
    seed: int,
    days: int,
    break_days: int,
    batch_minutes: int,
    scan: bool = True,
    grid: Grid = Grid(),
    workdir: Path | None = None,
    status: Callable[[str], None] = lambda _m: None,
) -> Replayed:
    """Generate, ingest history, then replay `days` days in micro-batches."""
    day0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    stages, breaks = plan(seed=seed, day0=day0, days=days, break_days=break_days, grid=grid)
    # The scan's baseline needs its 7-day window and four weeks before it; the watch's, 29 days.
    history = HISTORY_DAYS if scan else 29
    with tempfile.TemporaryDirectory(prefix="journeyops-live-") as tmp:
        root = workdir or Path(tmp)
        status("Generating events …")
        events = generate(
            stages,
            start=day0 - dt.timedelta(days=history),
            end=day0 + dt.timedelta(days=days),
            breaks=breaks,
            seed=seed,
        )
        ctx = build_context(eval_settings(), Workspace.resolve(root / "home"), with_insights=False)
        try:
            status("Ingesting history …")
            past = events[events["ts"] < day0]
            ingest_events(ctx, write_history(past, root / "history.parquet"))
            out = Replayed(stages=stages, breaks=breaks, days=days)
            _replay_days(ctx, events, root / "drop", day0, days, batch_minutes, scan, out, status)
        finally:
            ctx.warehouse.close()
            ctx.sessions.kw["bind"].dispose()
    return out


def _replay_days(
    ctx: RunContext,
    events: pd.DataFrame,
    drop: Path,
    day0: dt.datetime,
    days: int,
    batch_minutes: int,
    scan: bool,
    out: Replayed,
    status: Callable[[str], None],
) -> None:
    drop.mkdir(parents=True, exist_ok=True)
    watcher = Watcher(ctx, drop_dir=drop, environ={})
    step = dt.timedelta(minutes=batch_minutes)
    now, end = day0, day0 + dt.timedelta(days=days)
    ts = events["ts"]
    while now < end:
        nxt = now + step
        write_batch(events[(ts >= now) & (ts < nxt)], drop / f"{nxt:%Y%m%dT%H%M}.csv")
        now = nxt
        ctx.clock = _fixed(now)
        result = watcher.cycle()
        out.cycle_seconds.append(result.cycle.seconds)
        for ident in result.cycle.opened:
            with ctx.sessions() as session:
                row = get_developing(session, incident_id=ident)
            if row is not None:
                signal = {row.signal_dim: row.signal_value} if row.signal_dim else {}
                out.opened.append(Opened(at=now, stage=row.stage, segment=row.segment or signal))
        if scan and now.time() == dt.time() and now > day0:
            as_of = (now - dt.timedelta(days=1)).date()
            status(f"Daily scan for {as_of} …")
            outcome = run_scan(ctx, as_of=as_of, propose=False)
            reported = now + dt.timedelta(hours=SCAN_HOUR)
            for bd in outcome.result.breakdowns:
                if bd.metric == "conversion" and bd.current < bd.baseline:
                    out.scanned.append((bd.stage, as_of, reported))


def _fixed(at: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: at
