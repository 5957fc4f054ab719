"""Ingestion of events files: validation errors, atomicity, idempotency, schema growth."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from store.errors import InputError
from store.warehouse import Warehouse

HEADER = "ts,journey,stage,customer_id,completed,channel,value"
GOOD = [
    "2026-03-01T10:00:00Z,checkout,cart,c1,1,web,10",
    "2026-03-01T10:05:00+00:00,checkout,payment,c1,0,web,",
    "2026-03-01T23:30:00-02:00,checkout,cart,c2,true,app,5.5",
    "2026-03-02T10:00:00,checkout,payment,c2,false,,7",
]


def write_csv(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    w = Warehouse.open(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    yield w
    w.close()


def snapshot(w: Warehouse) -> tuple[object, ...]:
    """Return row counts, a checksum of the events and the table's columns."""
    with w.reading() as conn:
        events = conn.exec_driver_sql(
            "SELECT count(*), coalesce(sum(hash(ts, journey, stage, customer_id, completed)), 0) "
            "FROM events"
        ).one()
        files = conn.exec_driver_sql("SELECT count(*) FROM ingested_files").one()
    return (tuple(events), tuple(files), tuple(w.columns()))


def test_good_file_loads_and_reports(wh: Warehouse, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    report = wh.ingest_events(
        write_csv(tmp_path / "events.csv", GOOD), progress=lambda d, t: calls.append((d, t))
    )
    assert report.rows == 4 and not report.already_ingested
    assert report.journeys == {"checkout": ["cart", "payment"]}
    assert report.dimensions == ["channel"]
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert wh.measures() == ["value"]
    with wh.reading() as conn:
        rows = conn.exec_driver_sql(
            "SELECT ts, day, completed, channel, value FROM events ORDER BY ts"
        ).all()
    # -02:00 is converted to UTC, so that visit lands on the next day.
    assert [str(r.day) for r in rows] == ["2026-03-01", "2026-03-01", "2026-03-02", "2026-03-02"]
    assert str(rows[2].ts) == "2026-03-02 01:30:00"
    assert [r.completed for r in rows] == [1, 0, 1, 0]
    assert rows[3].channel is None and rows[1].value is None


def test_reingest_same_content_does_not_double_count(wh: Warehouse, tmp_path: Path) -> None:
    first = wh.ingest_events(write_csv(tmp_path / "a.csv", GOOD))
    copy = write_csv(tmp_path / "copy-of-a.csv", GOOD)
    again = wh.ingest_events(copy)
    assert again.already_ingested and again.rows == first.rows == 4
    assert again.journeys == first.journeys
    assert snapshot(wh)[0][0] == 4  # type: ignore[index]


@pytest.mark.parametrize(
    ("lines", "header", "expected"),
    [
        (
            [GOOD[0], "2026-13-01,checkout,cart,c3,1,web,1"],
            HEADER,
            "events.csv:3: field 'ts': not an ISO-8601 timestamp ('2026-13-01')",
        ),
        (
            ["2026-03-01T10:00:00Z,checkout,cart,1,web,1"],
            "ts,journey,stage,completed,channel,value",
            "events.csv:1: field 'customer_id': required column is missing",
        ),
        (
            [GOOD[0], GOOD[1], "2026-03-01T10:00:00Z,checkout,cart,c3,1,web,ten"],
            HEADER,
            "events.csv:4: field 'value': not a number ('ten')",
        ),
        (
            ["2026-03-01T10:00:00Z,checkout,cart,c3,yes,web,1"],
            HEADER,
            "events.csv:2: field 'completed': not 1/0/true/false ('yes')",
        ),
        (
            ["2026-03-01T10:00:00Z,Check Out,cart,c3,1,web,1"],
            HEADER,
            "events.csv:2: field 'journey': not a slug",
        ),
        (
            [GOOD[0], "2026-03-01T10:00:00Z,checkout"],
            HEADER,
            "events.csv:3: unreadable file: expected 7 fields, found 2",
        ),
        (
            [GOOD[0], '2026-03-01T10:00:00Z,checkout,"cart,c1,1,web,1', GOOD[2]],
            HEADER,
            "events.csv:3: unreadable file: value with an unterminated quote",
        ),
    ],
    ids=[
        "bad-timestamp",
        "missing-column",
        "wrong-type",
        "bad-bool",
        "bad-slug",
        "truncated",
        "unterminated-quote",
    ],
)
def test_malformed_file_names_line_and_field_and_changes_nothing(
    wh: Warehouse, tmp_path: Path, lines: list[str], header: str, expected: str
) -> None:
    wh.ingest_events(write_csv(tmp_path / "seed.csv", GOOD[:2]))
    before = snapshot(wh)
    bad = write_csv(tmp_path / "events.csv", lines, header)
    with pytest.raises(InputError) as err:
        wh.ingest_events(bad)
    assert str(err.value).startswith(expected)
    assert snapshot(wh) == before


def test_truncated_mid_row_file_is_rejected(wh: Warehouse, tmp_path: Path) -> None:
    full = write_csv(tmp_path / "full.csv", GOOD).read_bytes()
    cut = tmp_path / "events.csv"
    cut.write_bytes(full[: len(full) - 30])
    before = snapshot(wh)
    with pytest.raises(InputError) as err:
        wh.ingest_events(cut)
    assert err.value.line == 5 and "fields" in err.value.reason
    assert snapshot(wh) == before


def test_new_dimension_columns_appear_and_old_rows_read_null(wh: Warehouse, tmp_path: Path) -> None:
    wh.ingest_events(write_csv(tmp_path / "a.csv", GOOD))
    report = wh.ingest_events(
        write_csv(
            tmp_path / "b.csv",
            ["2026-03-03T10:00:00Z,checkout,cart,c9,1,web,5.2,3"],
            "ts,journey,stage,customer_id,completed,channel,App Version,duration_s",
        )
    )
    assert report.dimensions == ["channel", "app_version"]
    assert wh.dimensions() == ["channel", "app_version"]
    assert wh.measures() == ["duration_s", "value"]
    with wh.reading() as conn:
        versions = conn.exec_driver_sql("SELECT app_version FROM events ORDER BY ts").all()
    assert [v[0] for v in versions] == [None, None, None, None, "5.2"]


def test_unknown_stage_of_declared_journey_is_an_error(wh: Warehouse, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "events.csv", GOOD)
    with pytest.raises(InputError) as err:
        wh.ingest_events(path, known_stages={"checkout": ["cart", "confirmation"]})
    assert (err.value.line, err.value.field) == (3, "stage")
    assert "unknown stage" in err.value.reason


def test_undeclared_journey_is_accepted(wh: Warehouse, tmp_path: Path) -> None:
    report = wh.ingest_events(
        write_csv(tmp_path / "events.csv", GOOD), known_stages={"support": ["contact"]}
    )
    assert report.journeys == {"checkout": ["cart", "payment"]}


def test_parquet_and_gzip_csv_load(wh: Warehouse, tmp_path: Path) -> None:
    gz = tmp_path / "events.csv.gz"
    gz.write_bytes(gzip.compress(("\n".join([HEADER, *GOOD]) + "\n").encode()))
    assert wh.ingest_events(gz).rows == 4
    table = pa.table(
        {
            "ts": pa.array(["2026-03-05T08:00:00Z", "2026-03-05T09:00:00Z"]),
            "journey": ["support", "support"],
            "stage": ["contact", "contact"],
            "customer_id": ["x1", "x2"],
            "completed": pa.array([True, False]),
            "csat": pa.array([4.0, None]),
        }
    )
    pq.write_table(table, tmp_path / "support.parquet")
    assert wh.ingest_events(tmp_path / "support.parquet").rows == 2
    assert wh.journeys()["support"] == ["contact"]


def test_parquet_error_names_the_row(wh: Warehouse, tmp_path: Path) -> None:
    table = pa.table(
        {
            "ts": ["2026-03-05T08:00:00Z", "not-a-time"],
            "journey": ["support", "support"],
            "stage": ["contact", "contact"],
            "customer_id": ["x1", "x2"],
            "completed": [1, 0],
        }
    )
    pq.write_table(table, tmp_path / "bad.parquet")
    with pytest.raises(InputError) as err:
        wh.ingest_events(tmp_path / "bad.parquet")
    assert (
        str(err.value) == "bad.parquet: row 2: field 'ts': not an ISO-8601 timestamp ('not-a-time')"
    )


def test_first_bad_row_is_found_in_a_large_file(wh: Warehouse, tmp_path: Path) -> None:
    lines = [f"2026-03-01T10:00:00Z,checkout,cart,c{i},1,web,1" for i in range(120_000)]
    lines[90_000] = "2026-03-01T10:00:00Z,checkout,cart,c,1,web,x"
    lines[100_000] = "2026-02-30T10:00:00Z,checkout,cart,c,1,web,1"
    with pytest.raises(InputError) as err:
        wh.ingest_events(write_csv(tmp_path / "events.csv", lines))
    assert (err.value.line, err.value.field) == (90_002, "value")


def test_input_error_format_is_generic() -> None:
    assert str(InputError("insights.jsonl", 4, "text", "missing value")) == (
        "insights.jsonl:4: field 'text': missing value"
    )
    assert str(InputError("journeys.toml", None, None, "no journeys")) == (
        "journeys.toml: no journeys"
    )
