"""Overlapping micro-batches: with `dedupe_rows` every visit is stored once, on every backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from store.warehouse import Warehouse

HEADER = "ts,journey,stage,customer_id,completed,channel"
FIRST = [
    "2026-03-01T10:00:00Z,checkout,cart,c1,1,web",
    "2026-03-01T10:01:00Z,checkout,cart,c2,0,app",
    "2026-03-01T10:02:00Z,checkout,payment,c1,1,web",
]
# Overlaps FIRST by two visits (one written with another offset), brings one late row
# from the day before and repeats one of its own rows.
SECOND = [
    "2026-03-01T12:01:00+02:00,checkout,cart,c2,0,app",
    "2026-03-01T10:02:00Z,checkout,payment,c1,1,web",
    "2026-03-01T10:03:00Z,checkout,payment,c2,0,app",
    "2026-03-01T10:03:00Z,checkout,payment,c2,0,app",
    "2026-02-28T23:59:00Z,checkout,cart,c3,1,web",
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


@pytest.fixture(params=["duckdb", "postgres"])
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        w = Warehouse.open(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
        yield w
        w.close()
        return
    base = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    if not base:
        pytest.skip("JOURNEYOPS_TEST_PG_URL is not set: PostgreSQL warehouse test skipped")
    schema = f"jo_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    w = Warehouse.open(f"{base}{sep}options=-csearch_path%3D{schema}")
    try:
        yield w
    finally:
        w.close()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _count(w: Warehouse) -> int:
    with w.reading() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one())


def test_overlapping_file_adds_only_new_visits(wh: Warehouse, tmp_path: Path) -> None:
    first = wh.ingest_events(_write(tmp_path / "a.csv", FIRST), dedupe_rows=True)
    second = wh.ingest_events(_write(tmp_path / "b.csv", SECOND), dedupe_rows=True)
    assert (first.rows, first.duplicates) == (3, 0)
    assert (second.rows, second.duplicates) == (2, 3)
    assert _count(wh) == 5


def test_same_file_twice_adds_nothing(wh: Warehouse, tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", FIRST)
    wh.ingest_events(path, dedupe_rows=True)
    again = wh.ingest_events(path, dedupe_rows=True)
    assert again.already_ingested and _count(wh) == 3


def test_fully_known_file_is_recorded_with_no_rows(wh: Warehouse, tmp_path: Path) -> None:
    wh.ingest_events(_write(tmp_path / "a.csv", FIRST), dedupe_rows=True)
    resent = wh.ingest_events(_write(tmp_path / "b.csv", list(reversed(FIRST))), dedupe_rows=True)
    assert (resent.rows, resent.duplicates) == (0, 3) and _count(wh) == 3


def test_without_dedupe_a_plain_ingest_keeps_every_row(wh: Warehouse, tmp_path: Path) -> None:
    wh.ingest_events(_write(tmp_path / "a.csv", FIRST))
    wh.ingest_events(_write(tmp_path / "b.csv", SECOND))
    assert _count(wh) == 8
