"""The events warehouse: validated, atomic, idempotent ingestion and pushed-down aggregates.

Aggregations are SQLAlchemy Core: the same code runs on the embedded DuckDB file and on
PostgreSQL and Spark SQL (`store.warehouse.spark`). Only grouped results reach pandas.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, create_engine, event

from store.catalog import MetricDef
from store.errors import InputError, InputLimits, WarehouseBusyError
from store.warehouse import _aggregates as agg
from store.warehouse._access import DEFAULT_WAIT_S, DuckAccess, _utc_session, set_process_label
from store.warehouse._funnel import funnel_order
from store.warehouse._load import IngestReport, Rules, ingest
from store.warehouse._schema import MEASURES, dimensions_of, ensure_tables, existing_columns
from store.warehouse.spark import DIALECT, register_dialect
from store.warehouse.spark.load import ensure_tables as ensure_spark_tables

__all__ = ["IngestReport", "InputError", "Warehouse", "WarehouseBusyError", "set_process_label"]


class Warehouse:
    """Events of every journey, in DuckDB (embedded; opened per operation) or any database."""

    def __init__(
        self, engine: Engine, *, location: Path | None = None, duck: DuckAccess | None = None
    ) -> None:
        self._engine = engine
        self._location = location
        self._duck = duck

    @classmethod
    def open(
        cls,
        url: str,
        *,
        location: Path | None = None,
        lock_wait_s: float = DEFAULT_WAIT_S,
        on_wait: Callable[[str], None] | None = None,
    ) -> Warehouse:
        """Open (and create if needed) the warehouse at a SQLAlchemy URL.

        ``duckdb:////abs/warehouse.duckdb`` is the embedded default (each operation waits up
        to `lock_wait_s` for other processes, telling `on_wait`); ``spark://host:port/db``
        keeps events as Parquet under `location`, read by the server at the same path.
        """
        register_dialect()
        engine = create_engine(url)
        if engine.dialect.name == "duckdb":
            database = engine.url.database or ""
            engine.dispose()
            if database and database != ":memory:":
                duck = DuckAccess(Path(database), wait_s=lock_wait_s, on_wait=on_wait)
                return cls(duck.writer, duck=duck)
            event.listen(engine, "connect", _utc_session)
        with engine.begin() as conn:
            if engine.dialect.name == DIALECT:
                if location is None:
                    raise ValueError("a Spark warehouse needs a location for its Parquet files")
                ensure_spark_tables(conn, location.resolve())
            else:
                ensure_tables(conn)
        return cls(engine, location=None if location is None else location.resolve())

    def close(self) -> None:
        """Release every connection."""
        self._engine.dispose()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """Yield one read connection; every read of this thread inside it shares it."""
        if self._duck is None:
            with self._engine.connect() as conn:
                yield conn
            return
        with self._duck.reading(ensure_tables) as conn:
            yield conn

    @contextmanager
    def _writing(self) -> Iterator[Engine]:
        if self._duck is None:
            yield self._engine
            return
        with self._duck.writing(ensure_tables) as engine:
            yield engine

    def ingest_events(
        self,
        path: Path,
        *,
        known_stages: Mapping[str, Collection[str]] | None = None,
        progress: Callable[[int, int], None] | None = None,
        limits: InputLimits | None = None,
        now: datetime | None = None,
        dedupe_rows: bool = False,
    ) -> IngestReport:
        """Validate and load one events file (CSV, CSV.GZ or Parquet) in one transaction.

        Re-ingesting the same content does nothing; with `dedupe_rows`, rows whose key
        (ts, journey, stage, customer_id) is stored already are dropped too. A journey in
        `known_stages` only accepts those stages. Rows are checked against `limits` (dates
        after `now`, measure ranges, columns, distinct values); the first bad row raises
        InputError naming file, line and field, and the warehouse is unchanged.
        """
        rules = Rules(limits=limits or InputLimits(), now=now or datetime.now(UTC))
        with self._writing() as engine:
            return ingest(
                engine,
                Path(path),
                known_stages=known_stages,
                progress=progress,
                location=self._location,
                rules=rules,
                dedupe_rows=dedupe_rows,
            )

    def columns(self) -> list[str]:
        """Return every column of the events table."""
        # Not cached: another process may have ingested a file with new columns.
        with self.reading() as conn:
            return existing_columns(conn)

    def journeys(self) -> dict[str, list[str]]:
        """Return every journey in the warehouse -> its stages in inferred funnel order."""
        with self.reading() as conn:
            return funnel_order(conn, agg.events_table(existing_columns(conn)))

    def dimensions(self) -> list[str]:
        """Return the dimension columns present."""
        return dimensions_of(self.columns())

    def measures(self) -> list[str]:
        """Return the optional measure columns present."""
        have = set(self.columns())
        return [m for m in MEASURES if m in have]

    def supports(self, metric: MetricDef) -> bool:
        """Return whether every column the metric needs is present."""
        return metric.columns <= set(self.columns())

    def date_range(self, *, until: date | None = None) -> tuple[date, date] | None:
        """Return the first and last event day (UTC) up to `until`, or None when empty."""
        with self.reading() as conn:
            return agg.date_range(conn, agg.events_table(existing_columns(conn)), until=until)

    def daily_series(
        self,
        *,
        metrics: Sequence[MetricDef],
        start: date,
        end: date,
        journey: str | None = None,
        stage: str | None = None,
        segment: Mapping[str, str] | None = None,
    ) -> pd.DataFrame:
        """Return one row per journey, stage and day with visits and metric sums;
        `segment` keeps rows with those dimension values ("(none)" matches NULL). Columns:
        journey, stage, day, visits, `{name}__num`, `__num2` (Σ squared per-visit
        numerator) and `__den` per metric present. Days without visits have no row.
        """
        with self.reading() as conn:
            return agg.daily_series(
                conn,
                agg.events_table(existing_columns(conn)),
                metrics=metrics,
                start=start,
                end=end,
                journey=journey,
                stage=stage,
                segment=segment,
            )

    def segment_series(
        self, *, metrics: Sequence[MetricDef], dims: Sequence[str], start: date, end: date
    ) -> pd.DataFrame:
        """Return daily metric sums per journey, stage and single-dimension segment."""
        with self.reading() as conn:
            return agg.segment_series(
                conn,
                agg.events_table(existing_columns(conn)),
                metrics=metrics,
                dims=dims,
                start=start,
                end=end,
            )[1]

    def stage_and_segment_series(
        self, *, metrics: Sequence[MetricDef], dims: Sequence[str], start: date, end: date
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return `daily_series` and `segment_series` of every journey from one pass.

        The stage totals are one more grouping set of the segment query, so a full scan
        reads the window once. Without dimensions the segments frame is empty.
        """
        with self.reading() as conn:
            if not any(d in existing_columns(conn) for d in dims):
                daily = self.daily_series(metrics=metrics, start=start, end=end)
                return daily, pd.DataFrame()
            return agg.segment_series(
                conn,
                agg.events_table(existing_columns(conn)),
                metrics=metrics,
                dims=dims,
                start=start,
                end=end,
                totals=True,
            )

    def leaf_cells(
        self,
        *,
        journey: str,
        stage: str,
        metric: MetricDef,
        dims: Sequence[str],
        periods: Mapping[str, Sequence[date]],
        probe_columns: Sequence[str] = (),
    ) -> pd.DataFrame:
        """Return visits, num, den and missing per period label and dimension values.

        NULL dimension values read "(none)"; `missing` counts rows where any probe
        column is NULL (a probe column absent from the warehouse is NULL everywhere).
        A day listed in two periods counts in the first.
        """
        with self.reading() as conn:
            return agg.leaf_cells(
                conn,
                agg.events_table(existing_columns(conn)),
                journey=journey,
                stage=stage,
                metric=metric,
                dims=dims,
                periods=periods,
                probe_columns=probe_columns,
            )

    def unit_value(
        self, *, journey: str, stage: str, column: str, start: date, end: date
    ) -> float | None:
        """Return the mean of `column` per visit where present, or None."""
        with self.reading() as conn:
            if column not in existing_columns(conn):
                return None
            return agg.unit_value(
                conn,
                agg.events_table(existing_columns(conn)),
                journey=journey,
                stage=stage,
                column=column,
                start=start,
                end=end,
            )

    def distinct_counts(
        self, *, journey: str, stage: str, dims: Sequence[str], start: date, end: date
    ) -> dict[str, int]:
        """Return the number of distinct values per dimension ("(none)" counts as one)."""
        with self.reading() as conn:
            return agg.distinct_counts(
                conn,
                agg.events_table(existing_columns(conn)),
                journey=journey,
                stage=stage,
                dims=dims,
                start=start,
                end=end,
            )

    def stage_distinct_counts(
        self,
        *,
        stages: Sequence[tuple[str, str]],
        dims: Sequence[str],
        start: date,
        end: date,
    ) -> dict[tuple[str, str], dict[str, int]]:
        """Return `distinct_counts` for several (journey, stage) pairs from one query."""
        with self.reading() as conn:
            return agg.stage_distinct_counts(
                conn,
                agg.events_table(existing_columns(conn)),
                stages=stages,
                dims=dims,
                start=start,
                end=end,
            )
