"""Load validated events into the warehouse in one transaction, exactly once per content.

On DuckDB the typed staging table is inserted natively on the same connection; on Spark
an in-memory DuckDB writes it as Parquet partitions under the table's location
(`store.warehouse.spark.load`); elsewhere it streams from an in-memory DuckDB as Arrow
batches (COPY on PostgreSQL, batched inserts otherwise).
The content hash in `ingested_files` makes a re-ingest a no-op.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.csv as pacsv
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, create_engine, select

from store.errors import InputError, InputLimits
from store.warehouse._dedupe import drop_known_rows_native, drop_known_rows_streamed
from store.warehouse._schema import (
    add_columns,
    dimensions_of,
    events_clause,
    existing_columns,
    ingested_files,
    record_file,
)
from store.warehouse._staging import Run, quote_ident, runner
from store.warehouse._validate import CLEAN, STAGING_SHARE, drop_staging, stage_file
from store.warehouse.spark import DIALECT
from store.warehouse.spark import load as spark_load

Progress = Callable[[int, int], None]
_CHUNK = 1_000_000


@dataclass(frozen=True)
class Rules:
    """What a file is checked against besides its own shape: the limits and the time now."""

    limits: InputLimits = field(default_factory=InputLimits)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


class IngestReport(BaseModel):
    """What one `ingest_events` call did."""

    file: Path
    rows: int
    already_ingested: bool
    journeys: dict[str, list[str]]
    dimensions: list[str]
    seconds: float
    # Rows dropped because the warehouse (or the file itself) already held their row key.
    duplicates: int = 0


def _write_share(progress: Progress | None) -> Progress | None:
    """Map write progress onto the last part of the bar, after the staging passes."""
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        progress(int(total * (STAGING_SHARE + (1 - STAGING_SHARE) * done / max(total, 1))), total)

    return report


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def previous_ingest(conn: Connection, sha: str) -> IngestReport | None:
    """Return the report of an earlier ingest of the same content, if any."""
    t = ingested_files
    row = conn.execute(
        select(t.c.path, t.c.rows, t.c.journeys, t.c.dimensions).where(t.c.sha256 == sha)
    ).first()
    if row is None:
        return None
    return IngestReport(
        file=Path(row.path),
        rows=int(row.rows),
        already_ingested=True,
        journeys=json.loads(row.journeys),
        dimensions=json.loads(row.dimensions),
        seconds=0.0,
    )


def ingest(
    engine: Engine,
    path: Path,
    *,
    known_stages: Mapping[str, Collection[str]] | None,
    progress: Progress | None,
    location: Path | None = None,
    rules: Rules | None = None,
    dedupe_rows: bool = False,
) -> IngestReport:
    """Validate and load one events file; see `Warehouse.ingest_events`.

    `location` is where a Spark warehouse keeps its Parquet files (unused elsewhere).
    `dedupe_rows` drops rows whose row key is already stored (not on Spark).
    """
    began = time.perf_counter()
    rules = rules or Rules()
    if not path.is_file():
        raise InputError(path.name, None, None, f"file not found: {path}")
    sha = file_sha256(path)
    with engine.connect() as conn:
        done = previous_ingest(conn, sha)
    if done is not None:
        report = done.model_copy(update={"file": path})
    elif engine.dialect.name == "duckdb":
        report = _ingest_native(engine, path, sha, known_stages, progress, rules, dedupe_rows)
    elif engine.dialect.name == DIALECT:
        if dedupe_rows:
            raise ValueError("row de-duplication is not supported on a Spark warehouse")
        if location is None:
            raise ValueError("a Spark warehouse needs the location of its Parquet files")
        total, journeys, dims = spark_load.ingest(
            engine, path, sha, known_stages, progress, location, rules.limits, rules.now
        )
        report = IngestReport(
            file=path,
            rows=total,
            already_ingested=False,
            journeys=journeys,
            dimensions=dims,
            seconds=0.0,
        )
    else:
        report = _ingest_streamed(engine, path, sha, known_stages, progress, rules, dedupe_rows)
    return report.model_copy(update={"seconds": time.perf_counter() - began})


def _ingest_native(
    engine: Engine,
    path: Path,
    sha: str,
    known_stages: Mapping[str, Collection[str]] | None,
    progress: Callable[[int, int], None] | None,
    rules: Rules,
    dedupe_rows: bool,
) -> IngestReport:
    dupes = 0
    with engine.connect() as conn:
        run = runner(conn)
        try:
            columns, total, journeys = stage_file(
                conn, run, path, known_stages, progress, limits=rules.limits, now=rules.now
            )
            write_progress = _write_share(progress)
            dims = dimensions_of(columns)
            with conn.begin():
                if dedupe_rows:
                    dupes = drop_known_rows_native(run)
                prepare_target(conn, columns)
                # Deleted staging rows keep the others' rowids, so chunk over the original count.
                insert_native(run, columns, total, write_progress)
                record_file(
                    conn,
                    sha=sha,
                    path=path,
                    rows=total - dupes,
                    journeys=journeys,
                    dimensions=dims,
                )
        finally:
            drop_staging(conn)
    return IngestReport(
        file=path,
        rows=total - dupes,
        already_ingested=False,
        journeys=journeys,
        dimensions=dims,
        seconds=0.0,
        duplicates=dupes,
    )


def _ingest_streamed(
    engine: Engine,
    path: Path,
    sha: str,
    known_stages: Mapping[str, Collection[str]] | None,
    progress: Callable[[int, int], None] | None,
    rules: Rules,
    dedupe_rows: bool,
) -> IngestReport:
    staging_engine = create_engine("duckdb:///:memory:")
    dupes = 0
    try:
        with staging_engine.connect() as staging:
            run = runner(staging)
            columns, total, journeys = stage_file(
                staging,
                run,
                path,
                known_stages,
                progress,
                limits=rules.limits,
                now=rules.now,
            )
            write_progress = _write_share(progress)
            dims = dimensions_of(columns)
            with engine.begin() as conn:
                if dedupe_rows:
                    dupes = drop_known_rows_streamed(staging, run, conn)
                prepare_target(conn, columns)
                insert_streamed(staging, conn, columns, total - dupes, write_progress)
                record_file(
                    conn,
                    sha=sha,
                    path=path,
                    rows=total - dupes,
                    journeys=journeys,
                    dimensions=dims,
                )
    finally:
        staging_engine.dispose()
    return IngestReport(
        file=path,
        rows=total - dupes,
        already_ingested=False,
        journeys=journeys,
        dimensions=dims,
        seconds=0.0,
        duplicates=dupes,
    )


def prepare_target(conn: Connection, columns: list[str]) -> None:
    """Grow the events table with the file's new measure and dimension columns."""
    have = set(existing_columns(conn))
    add_columns(conn, [c for c in columns if c not in have])


def insert_native(run: Run, columns: list[str], total: int, progress: Progress | None) -> None:
    """Insert the typed staging rows into events on the same DuckDB connection."""
    cols = ", ".join(quote_ident(c) for c in columns)
    for start in range(0, max(total, 1), _CHUNK):
        run(
            f"INSERT INTO events ({cols}) SELECT {cols} FROM {CLEAN} "
            f"WHERE rowid >= {start} AND rowid < {start + _CHUNK}"
        )
        if progress is not None:
            progress(min(start + _CHUNK, total), total)


def insert_streamed(
    staging: Connection,
    target: Connection,
    columns: list[str],
    total: int,
    progress: Progress | None,
) -> None:
    """Stream the typed staging rows as Arrow batches into another warehouse."""
    cols = ", ".join(quote_ident(c) for c in columns)
    duck = staging.connection.driver_connection
    reader = duck.sql(f"SELECT {cols} FROM {CLEAN}").to_arrow_reader(200_000)  # type: ignore[union-attr]
    done = 0
    if target.dialect.name == "postgresql":
        pg = target.connection.driver_connection
        quote = target.dialect.identifier_preparer.quote
        copy_sql = f"COPY events ({', '.join(quote(c) for c in columns)}) FROM STDIN (FORMAT csv)"
        options = pacsv.WriteOptions(include_header=False)
        with pg.cursor() as cur, cur.copy(copy_sql) as copy:  # type: ignore[union-attr]
            for batch in reader:
                buf = io.BytesIO()
                pacsv.write_csv(batch, buf, options)
                copy.write(buf.getvalue())
                done += batch.num_rows
                if progress is not None:
                    progress(done, total)
        return
    table = events_clause(columns)
    for batch in reader:
        target.execute(table.insert(), batch.to_pylist())
        done += batch.num_rows
        if progress is not None:
            progress(done, total)
