"""Speed at scale: a full scan of N events against one DuckDB CUBE pass and pandas.

Each timed phase runs in its own process so its peak memory is its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import IO

import duckdb
from pydantic import BaseModel

from agent.config import load_settings
from agent.context import build_context
from agent.investigate.scan import run_scan
from agent.workspace import Workspace

_DIMS = ["channel", "device", "region", "app_version", "segment", "plan"]


class ScaleReport(BaseModel):
    """The `journeyops eval bench --json` contract.

    `scan_s`, `floor_s` and `pandas_s` time the work inside a warm process (modules
    imported), so the ratio compares aggregation and analysis, not interpreter start-up;
    `scan_process_s` is the wall time of the whole `journeyops scan` command; `pandas_s` is
    0 when the pandas pass was not run.
    """

    events: int
    ingest_s: float
    scan_s: float
    scan_process_s: float
    floor_s: float
    pandas_s: float
    ratio_vs_floor: float
    peak_rss_mb: float
    breakdowns: int


def run_scale_bench(
    *,
    events: int,
    workdir: Path | None = None,
    pandas: bool = True,
    status: Callable[[str], None] = lambda _m: None,
) -> ScaleReport:
    """Generate `events` events, ingest them, then time the scan, the floor and pandas."""
    with tempfile.TemporaryDirectory(prefix="journeyops-bench-") as tmp:
        root = workdir or Path(tmp)
        data, home = root / "data", root / "home"
        status(f"Generating {events:,} events …")
        _cli(home, "demo-data", "--out", str(data), "--scale", f"{events / 1_000_000:.3f}")
        _cli(home, "journeys", "load", str(data / "journeys.toml"))
        status("Ingesting …")
        t0 = time.perf_counter()
        _cli(home, "ingest", "events", str(data / "events.parquet"))
        ingest_s = time.perf_counter() - t0
        status("Timing a full scan …")
        scan_process_s, scan_rss, out = _timed(
            [
                sys.executable,
                "-m",
                "agent.cli.app",
                "--home",
                str(home),
                "scan",
                "--json",
                "--no-propose",
            ]
        )
        breakdowns = len(json.loads(out)["breakdowns"])
        scan_s = _phase("scan", home)
        warehouse = home / "warehouse.duckdb"
        status("Timing the DuckDB CUBE floor …")
        floor_s = _phase("floor", warehouse)
        pandas_s = 0.0
        if pandas:
            status("Timing the same aggregation in pandas …")
            pandas_s = _phase("pandas", warehouse)
        n = _count(warehouse)
    return ScaleReport(
        events=n,
        ingest_s=round(ingest_s, 2),
        scan_s=round(scan_s, 2),
        scan_process_s=round(scan_process_s, 2),
        floor_s=round(floor_s, 2),
        pandas_s=round(pandas_s, 2),
        ratio_vs_floor=round(scan_s / max(floor_s, 1e-9), 2),
        peak_rss_mb=round(scan_rss, 1),
        breakdowns=breakdowns,
    )


def _cli(home: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "agent.cli.app", "--home", str(home), *args],
        check=True,
        stdout=subprocess.DEVNULL,
    )


# A child's ru_maxrss also counts the process that spawned it: Linux charges the spawner's
# high-water mark to the child at exec (vfork), so a bench that generated data first would
# report its own peak. A small launcher spawns the child instead and reports its peak alone.
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_measured(cmd: list[str], *, stdout: IO[str], stderr: int | None = None) -> float:
    """Run `cmd` to its end; return the peak RSS in MB of that process alone."""
    with tempfile.TemporaryDirectory(prefix="journeyops-peak-") as tmp:
        peak = Path(tmp) / "peak"
        done = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(peak), *cmd],
            stdout=stdout,
            stderr=stderr,
            env=os.environ.copy(),
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed with exit code {done.returncode}")
        return int(peak.read_text(encoding="utf-8")) / 1024.0


def _timed(cmd: list[str]) -> tuple[float, float, str]:
    """Run `cmd`; return wall seconds, the peak RSS of that process alone in MB, its stdout."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out:
        t0 = time.perf_counter()
        rss = run_measured(cmd, stdout=out, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        out.seek(0)
        return seconds, rss, out.read()


def _phase(name: str, path: Path) -> float:
    """Run one phase in a fresh process and return the seconds it reports for its work."""
    _, _, out = _timed([sys.executable, "-m", "evals.scale_bench", name, str(path)])
    return float(out.strip().splitlines()[-1])


def scan_pass(home: Path) -> None:
    """The product's full scan (no proposals), timed after imports and store opening."""

    ctx = build_context(load_settings(), Workspace.resolve(home), with_insights=False)
    run_scan(ctx, propose=False)


def _dims(con: object) -> list[str]:

    assert isinstance(con, duckdb.DuckDBPyConnection)
    cols = {r[0] for r in con.execute("DESCRIBE events").fetchall()}
    return [d for d in _DIMS if d in cols]


def _count(warehouse: Path) -> int:

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def floor(warehouse: Path) -> None:
    """One DuckDB pass: journey × stage × CUBE(dimensions) with the sums a scan needs."""

    con = duckdb.connect(str(warehouse), read_only=True)
    dims = ", ".join(_dims(con))
    con.execute(
        f"SELECT journey, stage, {dims}, count(*), sum(completed), sum(duration_s), "
        "count(duration_s) "
        f"FROM events GROUP BY journey, stage, CUBE({dims})"
    ).fetchall()
    con.close()


def pandas_pass(warehouse: Path) -> None:
    """The same aggregation in pandas: every grouping set of the cube, one groupby each."""

    con = duckdb.connect(str(warehouse), read_only=True)
    dims = _dims(con)
    cols = ", ".join(["journey", "stage", *dims, "completed", "duration_s"])
    frame = con.sql(f"SELECT {cols} FROM events").to_arrow_table().to_pandas()
    con.close()
    for size in range(len(dims) + 1):
        for subset in combinations(dims, size):
            frame.groupby(["journey", "stage", *subset], observed=True, dropna=False).agg(
                visits=("completed", "size"),
                completed=("completed", "sum"),
                duration=("duration_s", "sum"),
                measured=("duration_s", "count"),
            )


if __name__ == "__main__":
    import importlib

    phase, target = sys.argv[1], Path(sys.argv[2])
    # Import what the phase needs before the clock starts: we time work, not start-up.
    for module in (
        "duckdb",
        "pandas",
        "agent.investigate.scan",
        "agent.context",
        "store.warehouse",
    ):
        importlib.import_module(module)
    work = {"floor": floor, "pandas": pandas_pass, "scan": scan_pass}[phase]
    started = time.perf_counter()
    work(target)
    sys.stdout.write(f"{time.perf_counter() - started:.4f}\n")
