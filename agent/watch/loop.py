"""`journeyops watch`: load dropped files, run a cycle, sleep until the next one, repeat.

Each cycle opens what it needs for the cycle only (the drop folder's files one by one,
one aggregate query), so a `serve`, a scheduler or an `ingest events` run beside it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from agent.context import RunContext
from agent.watch.cycle import CycleReport, run_cycle
from agent.watch.drops import DropResult, ingest_drops


class WatchCycle(BaseModel):
    """One cycle of the loop: the files it loaded and what the tests found."""

    drops: list[DropResult]
    cycle: CycleReport

    def line(self) -> str:
        """Return a one-line account for the terminal."""
        c = self.cycle
        loaded = sum(d.rows for d in self.drops)
        failed = [d.file for d in self.drops if d.status == "failed"]
        parts = [
            f"{c.at:%Y-%m-%d %H:%M} UTC",
            f"{len(self.drops)} file(s), {loaded} row(s)",
            f"{c.series} series, {c.alarmed} alarmed",
        ]
        for label, ids in (
            ("opened", c.opened),
            ("confirmed", c.confirmed),
            ("resolved", c.resolved),
            ("alerted", c.alerted),
            ("proposed", c.proposed),
        ):
            if ids:
                parts.append(f"{label} {', '.join(ids)}")
        if failed:
            parts.append(f"rejected {', '.join(failed)} (see failed/)")
        return " · ".join(parts)


@dataclass
class Watcher:
    """Runs watch cycles for one run context; tests inject the sleep and the environment."""

    ctx: RunContext
    drop_dir: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    sleep: Callable[[float], None] = time.sleep

    def cycle(self) -> WatchCycle:
        """Load the dropped files, then run one cycle at the context's clock."""
        drops = ingest_drops(self.ctx, self.drop_dir) if self.drop_dir is not None else []
        return WatchCycle(drops=drops, cycle=run_cycle(self.ctx, environ=self.environ))

    def run_forever(
        self,
        *,
        interval: dt.timedelta,
        on_cycle: Callable[[WatchCycle], None],
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """Run a cycle every `interval` (measured start to start) until `stop()` is true."""
        while not stop():
            began = time.monotonic()
            on_cycle(self.cycle())
            rest = interval.total_seconds() - (time.monotonic() - began)
            if rest > 0 and not stop():
                self.sleep(rest)
