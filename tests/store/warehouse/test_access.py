"""Several processes share one DuckDB warehouse file: readers together, writers in turn."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.errors import WarehouseBusyError
from store.warehouse import Warehouse
from tests.support.warehouse_holder import held


def _events(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(
        "ts,journey,stage,customer_id,completed,channel\n"
        "2026-03-01T10:00:00Z,checkout,payment,c1,1,web\n"
        "2026-03-02T10:00:00Z,checkout,payment,c2,0,app\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def warehouse_file(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with Warehouse.open(f"duckdb:///{path}") as wh:
        wh.ingest_events(_events(tmp_path))
    return path


def test_opening_a_warehouse_holds_no_handle(warehouse_file: Path) -> None:
    wh = Warehouse.open(f"duckdb:///{warehouse_file}")
    assert wh.journeys() == {"checkout": ["payment"]}
    # Another process can take the file read-write while this one keeps its Warehouse.
    with held(warehouse_file, "write", "ingest"):
        pass
    assert wh.date_range() is not None


def test_readers_in_two_processes_read_at_once(warehouse_file: Path) -> None:
    with held(warehouse_file, "read", "serve"):
        wh = Warehouse.open(f"duckdb:///{warehouse_file}", lock_wait_s=0)
        assert wh.journeys() == {"checkout": ["payment"]}


def test_a_reader_gives_up_naming_the_writer(warehouse_file: Path) -> None:
    wh = Warehouse.open(f"duckdb:///{warehouse_file}", lock_wait_s=0.3)
    with held(warehouse_file, "write", "ingest") as proc, pytest.raises(WarehouseBusyError) as err:
        wh.columns()
    assert f"held by ingest by PID {proc.pid}" in str(err.value)
    assert "gave up after 0.3 s" in str(err.value)


def test_a_writer_says_who_it_waits_for_then_writes(warehouse_file: Path, tmp_path: Path) -> None:
    told: list[str] = []
    more = tmp_path / "more.csv"
    more.write_text(
        "ts,journey,stage,customer_id,completed\n2026-03-03T10:00:00Z,returns,label,c3,1\n",
        encoding="utf-8",
    )
    with held(warehouse_file, "read", "scan") as proc:

        def release(message: str) -> None:
            told.append(message)
            assert proc.stdin is not None
            proc.stdin.close()

        wh = Warehouse.open(f"duckdb:///{warehouse_file}", lock_wait_s=60, on_wait=release)
        report = wh.ingest_events(more)
    assert report.rows == 1
    assert told == [f"waiting for the warehouse: scan by PID {proc.pid} holds warehouse.duckdb"]
    assert set(wh.journeys()) == {"checkout", "returns"}


def test_a_new_warehouse_file_is_created_by_its_first_read(tmp_path: Path) -> None:
    wh = Warehouse.open(f"duckdb:///{tmp_path / 'new.duckdb'}")
    assert not (tmp_path / "new.duckdb").exists()
    assert wh.date_range() is None
    assert "journey" in wh.columns()
