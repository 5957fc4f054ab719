"""Shape of the events warehouse: fixed columns, measure names and the bookkeeping tables."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.sql.expression import ColumnClause, TableClause, column, table
from sqlalchemy.types import TypeEngine

EVENTS = "events"
REQUIRED = ("ts", "journey", "stage", "customer_id", "completed")
MEASURES = ("duration_s", "value", "cost", "csat", "nps", "contacts", "transfers")
# Columns the warehouse derives itself; a file may not bring them.
DERIVED = ("day",)
BASE = ("ts", "day", "journey", "stage", "customer_id", "completed")

metadata = MetaData()

events = Table(
    EVENTS,
    metadata,
    Column("ts", DateTime(timezone=False), nullable=False),
    Column("day", Date, nullable=False),
    Column("journey", String, nullable=False),
    Column("stage", String, nullable=False),
    Column("customer_id", String, nullable=False),
    Column("completed", Integer, nullable=False),
)
# Row stores need an index for the per-stage daily scans; DuckDB prunes by zone maps and
# an ART index would only slow its bulk inserts.
Index("ix_events_journey_stage_day", events.c.journey, events.c.stage, events.c.day).ddl_if(
    dialect="postgresql"
)

ingested_files = Table(
    "ingested_files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("path", Text, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("journeys", Text, nullable=False),
    Column("dimensions", Text, nullable=False),
)


def ensure_tables(conn: Connection) -> None:
    """Create the events and ingested_files tables when they do not exist yet."""
    metadata.create_all(conn, checkfirst=True)


def existing_columns(conn: Connection) -> list[str]:
    """Return the column names of the events table, in table order."""
    # An empty SELECT works on every dialect, where reflection does not (duckdb-engine).
    keys = conn.exec_driver_sql(f"SELECT * FROM {EVENTS} WHERE 1 = 0").keys()
    return [str(k) for k in keys]


def add_columns(conn: Connection, names: Iterable[str]) -> None:
    """Add measure (DOUBLE) or dimension (VARCHAR) columns; older rows read NULL."""
    quote = conn.dialect.identifier_preparer.quote
    for name in names:
        sql_type = "DOUBLE PRECISION" if name in MEASURES else "VARCHAR"
        conn.exec_driver_sql(f"ALTER TABLE {EVENTS} ADD COLUMN {quote(name)} {sql_type}")


def column_type(name: str) -> ColumnClause[object]:
    """Return a typed column clause for an events column name."""
    types: dict[str, TypeEngine[Any]] = {
        "ts": DateTime(),
        "day": Date(),
        "completed": Integer(),
    }
    if name in MEASURES:
        return column(name, Float())
    return column(name, types.get(name, String()))


def events_clause(names: Iterable[str], name: str = EVENTS) -> TableClause:
    """Return a lightweight typed table clause over the given columns of `name`."""
    return table(name, *(column_type(n) for n in names))


def dimensions_of(names: Iterable[str]) -> list[str]:
    """Return the dimension columns among `names` (everything not fixed nor a measure)."""
    return [n for n in names if n not in BASE and n not in MEASURES]


def record_file(
    conn: Connection,
    *,
    sha: str,
    path: Path,
    rows: int,
    journeys: dict[str, list[str]],
    dimensions: list[str],
) -> None:
    """Remember the file's content hash so a re-ingest does nothing."""
    conn.execute(
        ingested_files.insert().values(
            sha256=sha,
            path=str(path),
            rows=rows,
            ingested_at=datetime.now(UTC),
            journeys=json.dumps(journeys),
            dimensions=json.dumps(dimensions),
        )
    )
