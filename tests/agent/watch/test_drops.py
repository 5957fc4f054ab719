"""The drop folder: each ready file loads once, then moves to done/ or failed/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import Settings
from agent.context import RunContext
from agent.watch.drops import ingest_drops
from tests.support.run_context import run_context

HEADER = "ts,journey,stage,customer_id,completed,channel\n"
NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def ctx(settings: Settings, tmp_path: Path) -> Iterator[RunContext]:
    yield from run_context("sqlite", settings, tmp_path, None, now=NOW)


def _events(ctx: RunContext) -> int:
    with ctx.warehouse.reading() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one())


def test_dropped_files_load_once_and_move_to_done(ctx: RunContext, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "0001.csv").write_text(
        HEADER + "2026-03-01T10:00:00Z,checkout,cart,c1,1,web\n"
        "2026-03-01T10:01:00Z,checkout,cart,c2,0,app\n"
    )
    # Overlaps the first file by one visit; a half-written file waits under a hidden name.
    (drop / "0002.csv").write_text(
        HEADER + "2026-03-01T10:01:00Z,checkout,cart,c2,0,app\n"
        "2026-03-01T10:05:00Z,checkout,cart,c3,1,web\n"
    )
    (drop / ".0003.csv.tmp").write_text(HEADER)
    results = ingest_drops(ctx, drop)
    assert [(r.file, r.status, r.rows, r.duplicates) for r in results] == [
        ("0001.csv", "loaded", 2, 0),
        ("0002.csv", "loaded", 1, 1),
    ]
    assert _events(ctx) == 3
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["0001.csv", "0002.csv"]
    assert [p.name for p in drop.iterdir() if p.is_file()] == [".0003.csv.tmp"]


def test_same_file_dropped_again_adds_nothing(ctx: RunContext, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    body = HEADER + "2026-03-01T10:00:00Z,checkout,cart,c1,1,web\n"
    (drop / "a.csv").write_text(body)
    ingest_drops(ctx, drop)
    (drop / "a.csv").write_text(body)
    again = ingest_drops(ctx, drop)
    assert [(r.status, r.rows) for r in again] == [("already_loaded", 0)]
    assert _events(ctx) == 1
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["a.csv", "a.csv.1"]


def test_bad_file_moves_to_failed_with_its_error_and_others_still_load(
    ctx: RunContext, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "1.csv").write_text(HEADER + "not-a-time,checkout,cart,c1,1,web\n")
    (drop / "2.csv").write_text(HEADER + "2026-03-01T10:00:00Z,checkout,cart,c1,1,web\n")
    results = ingest_drops(ctx, drop)
    assert [r.status for r in results] == ["failed", "loaded"]
    error = (drop / "failed" / "1.csv.error.txt").read_text()
    assert "1.csv:2" in error and "ts" in error
    assert _events(ctx) == 1
