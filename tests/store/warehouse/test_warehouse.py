"""Warehouse aggregations, checked against hand-computed numbers on DuckDB and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from store.catalog import MetricDef
from store.errors import InputError
from store.warehouse import Warehouse

EVENTS = """\
ts,journey,stage,customer_id,completed,channel,duration_s,contacts
2026-03-01T09:00:00Z,checkout,cart,c1,1,web,10,0
2026-03-01T09:05:00Z,checkout,payment,c1,1,web,30,2
2026-03-01T10:00:00Z,checkout,cart,c2,0,app,20,
2026-03-02T09:00:00Z,checkout,cart,c3,1,,,1
2026-03-02T09:10:00Z,checkout,payment,c3,0,app,50,3
2026-03-02T11:00:00Z,checkout,payment,c4,1,web,40,0
2026-03-03T08:00:00Z,support,contact,s1,1,web,100,1
"""
D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def metric(name: str, num: str, den: str) -> MetricDef:
    return MetricDef(
        name=name, label=name, numerator=num, denominator=den, direction="higher", unit_value=1
    )


CONVERSION = metric("conversion", "completed", "visits")
DURATION = metric("duration", "duration_s", "count:duration_s")
REPEAT = metric("repeat_contact_rate", "contacts>1", "count:contacts")
CSAT = metric("csat", "csat", "count:csat")


def _pg_url() -> str:
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    if not url:
        pytest.skip("JOURNEYOPS_TEST_PG_URL is not set: PostgreSQL warehouse tests skipped")
    return url


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """A warehouse loaded with EVENTS through the real ingestion path of each backend."""
    csv = tmp_path / "events.csv"
    csv.write_text(EVENTS)
    if request.param == "duckdb":
        w = Warehouse.open(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
        w.ingest_events(csv)
        yield w
        w.close()
        return
    base = _pg_url()
    schema = f"jo_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    w = Warehouse.open(f"{base}{sep}options=-csearch_path%3D{schema}")
    try:
        w.ingest_events(csv)
        yield w
    finally:
        w.close()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def test_catalogue(wh: Warehouse) -> None:
    assert wh.journeys() == {"checkout": ["cart", "payment"], "support": ["contact"]}
    assert wh.dimensions() == ["channel"]
    assert wh.measures() == ["duration_s", "contacts"]
    assert wh.date_range() == (D1, D3)


def test_daily_series_matches_hand_computed_sums(wh: Warehouse) -> None:
    frame = wh.daily_series(
        metrics=[CONVERSION, DURATION, REPEAT, CSAT], start=D1, end=D3, journey="checkout"
    )
    assert "csat__num" not in frame.columns  # csat is absent: skipped, not an error
    got = {
        (r.stage, r.day): (
            r.visits,
            r.conversion__num, r.conversion__num2, r.conversion__den,
            r.duration__num, r.duration__num2, r.duration__den,
            r.repeat_contact_rate__num, r.repeat_contact_rate__num2, r.repeat_contact_rate__den,
        )
        for r in frame.itertuples()
    }  # fmt: skip
    assert got == {
        ("cart", D1): (2, 1, 1, 2, 30, 500, 2, 0, 0, 1),
        ("payment", D1): (1, 1, 1, 1, 30, 900, 1, 1, 1, 1),
        ("cart", D2): (1, 1, 1, 1, 0, 0, 0, 0, 0, 1),
        ("payment", D2): (2, 1, 1, 2, 90, 4100, 2, 1, 1, 2),
    }
    assert list(frame.columns[:4]) == ["journey", "stage", "day", "visits"]
    assert all(type(d) is date for d in frame["day"])


def test_daily_series_filters_by_stage_and_range(wh: Warehouse) -> None:
    frame = wh.daily_series(metrics=[CONVERSION], start=D2, end=D3, stage="payment")
    assert list(frame["day"]) == [D2]
    everything = wh.daily_series(metrics=[CONVERSION], start=D1, end=D3)
    assert int(everything["visits"].sum()) == 7
    assert wh.daily_series(metrics=[CONVERSION], start=D3, end=D3, journey="checkout").empty


def test_daily_series_of_a_segment_keeps_only_its_rows(wh: Warehouse) -> None:
    app = wh.daily_series(
        metrics=[CONVERSION], start=D1, end=D3, journey="checkout", segment={"channel": "app"}
    )
    got = {(r.stage, r.day): (r.visits, r.conversion__num) for r in app.itertuples()}
    assert got == {("cart", D1): (1, 0), ("payment", D2): (1, 0)}
    blank = wh.daily_series(metrics=[], start=D1, end=D3, segment={"channel": "(none)"})
    assert list(blank["day"]) == [D2] and int(blank["visits"].sum()) == 1
    both = {"channel": "web", "stage": "payment"}
    assert int(wh.daily_series(metrics=[], start=D1, end=D3, segment=both)["visits"].sum()) == 2
    with pytest.raises(ValueError, match="unknown dimension"):
        wh.daily_series(metrics=[], start=D1, end=D3, segment={"nope": "x"})


def test_leaf_cells_group_by_period_and_dimension(wh: Warehouse) -> None:
    frame = wh.leaf_cells(
        journey="checkout",
        stage="cart",
        metric=CONVERSION,
        dims=["channel"],
        periods={"current": [D2], "baseline": [D1]},
        probe_columns=["contacts"],
    )
    rows = {(r.period, r.channel): (r.visits, r.num, r.den, r.missing) for r in frame.itertuples()}
    assert rows == {
        ("baseline", "app"): (1, 0, 1, 1),
        ("baseline", "web"): (1, 1, 1, 0),
        ("current", "(none)"): (1, 1, 1, 0),
    }
    assert list(frame.columns) == ["period", "channel", "visits", "num", "den", "missing"]


def test_leaf_cells_where_metric_and_absent_probe(wh: Warehouse) -> None:
    frame = wh.leaf_cells(
        journey="checkout",
        stage="payment",
        metric=REPEAT,
        dims=["channel"],
        periods={"current": [D2], "baseline": [D1]},
        probe_columns=["app_version"],
    )
    rows = {(r.period, r.channel): (r.visits, r.num, r.den, r.missing) for r in frame.itertuples()}
    # An absent probe column is missing on every row.
    assert rows == {
        ("baseline", "web"): (1, 1, 1, 1),
        ("current", "app"): (1, 1, 1, 1),
        ("current", "web"): (1, 0, 1, 1),
    }
    with pytest.raises(ValueError, match="absent"):
        wh.leaf_cells(journey="checkout", stage="payment", metric=CSAT, dims=[], periods={})


def test_unit_value_and_distinct_counts(wh: Warehouse) -> None:
    kw = {"journey": "checkout", "start": D1, "end": D2}
    assert wh.unit_value(stage="payment", column="duration_s", **kw) == pytest.approx(40.0)  # type: ignore[arg-type]
    assert wh.unit_value(stage="cart", column="duration_s", **kw) == pytest.approx(15.0)  # type: ignore[arg-type]
    assert wh.unit_value(stage="cart", column="value", **kw) is None  # type: ignore[arg-type]
    assert wh.distinct_counts(stage="cart", dims=["channel"], **kw) == {"channel": 3}  # type: ignore[arg-type]


def test_reingest_on_this_backend_does_not_double_count(wh: Warehouse, tmp_path: Path) -> None:
    again = tmp_path / "again.csv"
    again.write_text(EVENTS)
    assert wh.ingest_events(again).already_ingested
    frame = wh.daily_series(metrics=[], start=D1, end=D3)
    assert int(frame["visits"].sum()) == 7


def test_bad_file_on_this_backend_changes_nothing(wh: Warehouse, tmp_path: Path) -> None:
    bad = tmp_path / "events.csv"
    bad.write_text(EVENTS.replace("2026-03-02T11:00:00Z", "2026-03-32T11:00:00Z"))
    with pytest.raises(InputError) as err:
        wh.ingest_events(bad)
    assert (err.value.line, err.value.field) == (7, "ts")
    assert int(wh.daily_series(metrics=[], start=D1, end=D3)["visits"].sum()) == 7
    assert wh.dimensions() == ["channel"]


def test_failure_while_writing_rolls_back_rows_and_new_columns(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "more.csv"
    path.write_text(
        "ts,journey,stage,customer_id,completed,segment\n"
        "2026-03-03T10:00:00Z,checkout,cart,c7,1,vip\n"
    )

    def fail_when_written(done: int, total: int) -> None:
        if done == total:
            raise KeyboardInterrupt  # e.g. the user pressed Ctrl-C during the write

    with pytest.raises(KeyboardInterrupt):
        wh.ingest_events(path, progress=fail_when_written)
    assert wh.dimensions() == ["channel"]
    assert int(wh.daily_series(metrics=[], start=D1, end=D3)["visits"].sum()) == 7
    assert not wh.ingest_events(path).already_ingested
    assert wh.dimensions() == ["channel", "segment"]
    assert int(wh.daily_series(metrics=[], start=D1, end=D3)["visits"].sum()) == 8


def test_segment_series_groups_each_dimension_in_one_grouping_sets_pass(wh: Warehouse) -> None:
    frame = wh.segment_series(metrics=[CONVERSION], dims=["channel"], start=D1, end=D3)
    got = {
        (r.stage, r.day, r.dim, r.value): (r.visits, r.conversion__num)
        for r in frame[frame["journey"] == "checkout"].itertuples()
    }
    assert got == {
        ("cart", D1, "channel", "web"): (1, 1),
        ("cart", D1, "channel", "app"): (1, 0),
        ("payment", D1, "channel", "web"): (1, 1),
        ("cart", D2, "channel", "(none)"): (1, 1),
        ("payment", D2, "channel", "app"): (1, 0),
        ("payment", D2, "channel", "web"): (1, 1),
    }
