"""Spark tables and loading: events as Parquet partitioned by journey and day.

The file is read and validated in an in-memory DuckDB exactly as for every warehouse
(`store.warehouse._validate`); DuckDB then writes it as Parquet under the table's location
(`journey=…/day=…/part-<content hash>-<n>.parquet`) and Spark registers the new partitions.
File names derive from the content hash, so a load interrupted before it was recorded
rewrites the same files when run again instead of adding duplicates.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine

from store.errors import InputLimits
from store.warehouse._schema import EVENTS, MEASURES, dimensions_of, existing_columns, record_file
from store.warehouse._staging import Run, quote_ident, runner, sql_string
from store.warehouse._validate import CLEAN, stage_file

_PARTITIONS = ("journey", "day")
_FIXED = {"ts": "TIMESTAMP", "stage": "STRING", "customer_id": "STRING", "completed": "INT"}
# Partitions registered per ALTER TABLE statement: keeps each statement a modest size.
_BATCH = 500


def _spark_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _spark_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def ensure_tables(conn: Connection, location: Path) -> None:
    """Create the events and ingested_files tables (external Parquet) when absent."""
    events = location / EVENTS
    cols = ", ".join(f"{_spark_ident(n)} {t}" for n, t in _FIXED.items())
    conn.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {EVENTS} ({cols}, journey STRING, day DATE) USING parquet "
        f"PARTITIONED BY (journey, day) LOCATION {_spark_string(events.as_posix())}"
    )
    files = location / "ingested_files"
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS ingested_files (sha256 STRING, path STRING, rows BIGINT, "
        "ingested_at TIMESTAMP, journeys STRING, dimensions STRING) USING parquet "
        f"LOCATION {_spark_string(files.as_posix())}"
    )


def add_columns(conn: Connection, columns: list[str]) -> None:
    """Add the file's new measure (DOUBLE) and dimension (STRING) columns to events."""
    have = set(existing_columns(conn))
    new = [c for c in columns if c not in have]
    if new:
        specs = ", ".join(
            f"{_spark_ident(c)} {'DOUBLE' if c in MEASURES else 'STRING'}" for c in new
        )
        conn.exec_driver_sql(f"ALTER TABLE {EVENTS} ADD COLUMNS ({specs})")


def write_parquet(
    run: Run, columns: list[str], *, location: Path, sha: str
) -> list[tuple[str, str]]:
    """Write the staged rows under the events location; return the (journey, day) written.

    Files are written to a hidden staging folder first (Spark skips names starting with
    `_`) and moved into their partitions only once all of them exist.
    """
    events = location / EVENTS
    staging = events / f"_staging-{sha[:16]}"
    shutil.rmtree(staging, ignore_errors=True)
    data = [c for c in columns if c not in _PARTITIONS]
    # Timestamps are stored as UTC instants, which Spark reads as its TIMESTAMP type.
    select = ", ".join(
        "CAST(ts AS TIMESTAMPTZ) AS ts" if c == "ts" else quote_ident(c) for c in data
    )
    run("SET TimeZone = 'UTC'")
    try:
        run(
            f"COPY (SELECT {select}, journey, day FROM {CLEAN}) TO {sql_string(str(staging))} "
            f"(FORMAT parquet, PARTITION_BY (journey, day), "
            f"FILENAME_PATTERN {sql_string('part-' + sha[:16] + '-{i}')})"
        )
        for file in sorted(staging.rglob("*.parquet")):
            target = events / file.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            file.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    rows = run(f"SELECT DISTINCT journey, CAST(day AS VARCHAR) FROM {CLEAN} ORDER BY 1, 2")
    return [(str(j), str(d)) for j, d in rows]


def register_partitions(conn: Connection, partitions: list[tuple[str, str]]) -> None:
    """Tell Spark about new (journey, day) partitions and drop its cached file listing."""
    for start in range(0, len(partitions), _BATCH):
        specs = " ".join(
            f"PARTITION (journey = {_spark_string(j)}, day = DATE {_spark_string(d)})"
            for j, d in partitions[start : start + _BATCH]
        )
        conn.exec_driver_sql(f"ALTER TABLE {EVENTS} ADD IF NOT EXISTS {specs}")
    conn.exec_driver_sql(f"REFRESH TABLE {EVENTS}")


def ingest(
    engine: Engine,
    path: Path,
    sha: str,
    known_stages: Mapping[str, Collection[str]] | None,
    progress: Callable[[int, int], None] | None,
    location: Path,
    limits: InputLimits | None = None,
    now: datetime | None = None,
) -> tuple[int, dict[str, list[str]], list[str]]:
    """Validate the file in an in-memory DuckDB, write its Parquet partitions, register them.

    Return the rows loaded, the journeys (stages in funnel order) and the dimensions.
    """
    staging_engine = create_engine("duckdb:///:memory:")
    try:
        with staging_engine.connect() as staging:
            run = runner(staging)
            columns, total, journeys = stage_file(
                staging, run, path, known_stages, progress, limits=limits, now=now
            )
            dims = dimensions_of(columns)
            with engine.connect() as conn:
                add_columns(conn, columns)
                written = write_parquet(run, columns, location=location, sha=sha)
                register_partitions(conn, written)
                record_file(
                    conn, sha=sha, path=path, rows=total, journeys=journeys, dimensions=dims
                )
                conn.commit()
            if progress is not None:
                progress(total, total)
    finally:
        staging_engine.dispose()
    return total, journeys, dims
