"""Load the events files a pipeline drops into a folder, each once, then move it aside.

A file is ready when its name ends in .csv, .csv.gz or .parquet and does not start with a
dot: writers write to a hidden or `.tmp` name and rename, so a half-written file is never
read. Each file is validated and loaded in its own transaction with row de-duplication
(store.warehouse._dedupe), so a re-sent or overlapping file adds nothing twice; then it
moves to `done/`, or to `failed/` beside a one-line `.error.txt` when it is rejected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from agent.context import RunContext
from agent.ingest import ingest_events
from store.errors import InputError

DropStatus = Literal["loaded", "already_loaded", "failed"]
_READY = (".csv", ".csv.gz", ".parquet")


class DropResult(BaseModel):
    """What happened to one dropped file."""

    file: str
    status: DropStatus
    rows: int = 0
    duplicates: int = 0
    error: str = ""


def ready_files(folder: Path) -> list[Path]:
    """Return the files ready to load, oldest name first (pipelines name them by time)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(_READY)
    )


def _move(path: Path, into: Path) -> Path:
    into.mkdir(exist_ok=True)
    target = into / path.name
    n = 1
    while target.exists():
        target = into / f"{path.name}.{n}"
        n += 1
    return path.rename(target)


def ingest_drops(ctx: RunContext, folder: Path) -> list[DropResult]:
    """Load every ready file of `folder`, one transaction each; return what each did."""
    results: list[DropResult] = []
    for path in ready_files(folder):
        try:
            loaded = ingest_events(ctx, path, dedupe_rows=True)
        except InputError as exc:
            moved = _move(path, folder / "failed")
            moved.with_name(moved.name + ".error.txt").write_text(f"{exc}\n", encoding="utf-8")
            results.append(DropResult(file=path.name, status="failed", error=str(exc)))
            continue
        report = loaded.report
        _move(path, folder / "done")
        results.append(
            DropResult(
                file=path.name,
                status="already_loaded" if report.already_ingested else "loaded",
                rows=0 if report.already_ingested else report.rows,
                duplicates=report.duplicates,
            )
        )
    return results
