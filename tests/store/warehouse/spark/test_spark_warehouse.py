"""The same scan on Spark SQL as on DuckDB: same breakdowns, causes and numbers.

One real Spark round trip in the default suite: events ingested as Parquet partitions,
registered with the Spark server, scanned through the Thrift protocol, compared with the
embedded DuckDB warehouse holding the same file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from agent.config import Settings
from agent.context import RunContext
from agent.investigate.scan import run_scan
from agent.workspace import Workspace
from evals.demo import generate
from store.db import make_engine, migrate, session_factory
from store.errors import InputError
from store.findings import Breakdown
from store.warehouse import Warehouse

pytestmark = pytest.mark.spark
END = dt.date(2026, 3, 31)


def _events(tmp: Path) -> Path:
    """Five weeks of demo events of two journeys (few partitions keep Spark quick)."""
    manifest = generate(tmp / "demo", seed=5, scale=0.12, days=36, end=END)
    out = tmp / "events.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_parquet('{manifest.events_file}') "
        "WHERE journey IN ('checkout', 'billing_dispute')) "
        f"TO '{out}' (FORMAT parquet)"
    )
    return out


def _scan(settings: Settings, warehouse: Warehouse, root: Path) -> list[Breakdown]:
    workspace = Workspace.resolve(root)
    engine = make_engine(f"sqlite:///{workspace.store_path}")
    migrate(engine)
    ctx = RunContext(
        settings=settings,
        workspace=workspace,
        warehouse=warehouse,
        sessions=session_factory(engine),
    )
    return run_scan(ctx, as_of=END, propose=False).result.breakdowns


def _labels(bd: Breakdown) -> tuple[object, ...]:
    causes = [(c.segment, c.kind) for c in bd.causes]
    return (bd.id, bd.severity, causes, [r.playbook for r in bd.recommendations])


def _numbers(bd: Breakdown) -> list[float]:
    shares = [c.explained_share for c in bd.causes]
    return [bd.baseline, bd.current, bd.impact.per_week, bd.p_value, *shares]


def test_spark_scan_finds_the_same_breakdowns_causes_and_numbers_as_duckdb(
    spark_db: str, tmp_path: Path, settings: Settings
) -> None:
    events = _events(tmp_path)
    with Warehouse.open(f"duckdb:///{tmp_path / 'wh.duckdb'}") as duck:
        duck.ingest_events(events)
        expected = _scan(settings, duck, tmp_path / "duck")
        funnels = duck.journeys()
    with Warehouse.open(spark_db, location=tmp_path / "parquet") as spark:
        report = spark.ingest_events(events)
        assert report.rows > 0 and not report.already_ingested
        assert spark.ingest_events(events).already_ingested
        got = _scan(settings, spark, tmp_path / "spark")
        assert spark.journeys() == funnels, "stages in the same inferred funnel order"
        # A bad file is refused with its line and field and leaves Spark's table unchanged.
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "ts,journey,stage,customer_id,completed\n2026-03-30T10:00:00,checkout,cart,c1,maybe\n",
            encoding="utf-8",
        )
        with pytest.raises(InputError, match=r"bad\.csv:2.*completed"):
            spark.ingest_events(bad)
        assert spark.date_range() == (END - dt.timedelta(days=35), END)
    assert any(b.causes for b in expected), "the data must exercise localization"
    assert [_labels(b) for b in got] == [_labels(b) for b in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert _numbers(mine) == pytest.approx(_numbers(theirs), rel=1e-4, abs=1e-9)
    assert sorted((tmp_path / "parquet" / "events").glob("journey=*/day=*/part-*.parquet"))
