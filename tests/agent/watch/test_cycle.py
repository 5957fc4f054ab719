"""Watch cycles on real micro-batches: a break opens one developing incident, alerts the
owner once, is confirmed and filed once, and closes when the stage recovers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from agent.config import Settings
from agent.context import RunContext
from agent.ingest import ingest_events
from agent.watch.cycle import CycleReport, run_cycle
from agent.watch.drops import ingest_drops
from evals.live.data import Break, StageSpec, generate, write_batch, write_history
from store.gate.actions import list_actions
from store.live.incidents import list_developing
from tests.support.receiver import Receiver
from tests.support.run_context import run_context
from tools.workflows import WorkflowTarget

SECRET = "owner-secret"
DAY = dt.datetime(2026, 3, 4, tzinfo=dt.UTC)
START = DAY + dt.timedelta(hours=9)
BREAK = Break(
    stage="pay",
    start=DAY + dt.timedelta(hours=10),
    end=DAY + dt.timedelta(hours=12),
    size=0.6,
    segment=(("channel", "app"),),
)


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return generate(
        [StageSpec("pay", 300.0, 0.8)],
        start=DAY - dt.timedelta(days=29),
        end=DAY + dt.timedelta(hours=16),
        breaks=[BREAK],
        seed=7,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(secret=SECRET) as rx:
        yield rx


@pytest.fixture
def ctx(
    settings: Settings, tmp_path: Path, receiver: Receiver, events: pd.DataFrame
) -> Iterator[RunContext]:
    target = WorkflowTarget(kind="webhook", url=receiver.url("/hooks/owner"), secret_env="S")
    ours = settings.model_copy(
        update={
            "workflows": {**settings.workflows, "owner": target},
            "live": settings.live.model_copy(update={"alert_target": "owner"}),
        }
    )
    for run in run_context("sqlite", ours, tmp_path, None, now=START):
        ingest_events(
            run, write_history(events[events["ts"] < START], tmp_path / "history.parquet")
        )
        yield run


def _replay(
    ctx: RunContext, events: pd.DataFrame, drop: Path, *, until: dt.datetime, minutes: int = 10
) -> list[CycleReport]:
    drop.mkdir(exist_ok=True)
    reports = []
    now = ctx.clock()
    while now < until:
        nxt = now + dt.timedelta(minutes=minutes)
        batch = events[(events["ts"] >= now) & (events["ts"] < nxt)]
        write_batch(batch, drop / f"{nxt:%Y%m%dT%H%M}.csv")
        ingest_drops(ctx, drop)
        now = nxt
        ctx.clock = lambda at=now: at
        reports.append(run_cycle(ctx, environ={"S": SECRET}))
    return reports


def test_break_is_caught_alerted_once_filed_once_and_closed(
    ctx: RunContext, events: pd.DataFrame, receiver: Receiver, tmp_path: Path
) -> None:
    quiet = run_cycle(ctx, environ={"S": SECRET})
    assert quiet.series >= 4 and quiet.opened == []

    reports = _replay(ctx, events, tmp_path / "drop", until=DAY + dt.timedelta(hours=16))

    opened = [(r.at, i) for r in reports for i in r.opened]
    assert len(opened) == 1
    opened_at, incident = opened[0]
    assert opened_at - BREAK.start <= dt.timedelta(minutes=60)
    assert [i for r in reports for i in r.alerted] == [incident]
    assert receiver.effects == {incident: 1}
    assert [i for r in reports for i in r.confirmed] == [incident]
    with ctx.sessions() as session:
        rows = list_developing(session, since=DAY)
        actions = list_actions(session)
    assert [r.id for r in rows] == [incident]
    row = rows[0]
    assert row.segment == {"channel": "app"}
    assert row.status == "resolved" and row.resolved_at is not None
    assert row.resolved_at > BREAK.end
    assert row.current < row.baseline and row.lost > 0
    assert row.breakdown_id is not None and row.action_ids
    assert sorted(a.id for a in actions) == sorted(row.action_ids)
    assert {a.breakdown_id for a in actions} == {row.breakdown_id}


def test_quiet_hours_open_nothing(ctx: RunContext, events: pd.DataFrame, tmp_path: Path) -> None:
    ctx.clock = lambda: DAY + dt.timedelta(hours=1)
    # As another process would: the warehouse holds no handle between operations.
    with duckdb.connect(str(ctx.workspace.warehouse_path)) as conn:
        conn.execute("DELETE FROM events WHERE ts >= '2026-03-04 01:00:00'")
    reports = _replay(ctx, events, tmp_path / "drop", until=DAY + dt.timedelta(hours=9), minutes=30)
    assert all(r.series >= 4 for r in reports)
    assert [i for r in reports for i in r.opened] == []
