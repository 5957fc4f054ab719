"""Many scanners, one set of proposals: `scan --shard i/n` workers merge into one scan's rows."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from agent.cli.app import app
from agent.config import Settings
from agent.context import RunContext
from agent.investigate.scan import ScanOutcome, run_scan
from agent.investigate.state import Shard
from agent.workspace import Workspace
from store.errors import InputError
from store.models import ActionRow, BreakdownRow
from store.warehouse import Warehouse
from tests.support.store_fixtures import store_sessions

JOURNEYS = ["checkout", "billing_dispute", "returns", "password_reset", "insurance_claim"]


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_every_journey_belongs_to_exactly_one_shard(n: int) -> None:
    for journey in JOURNEYS:
        owners = [i for i in range(1, n + 1) if Shard(index=i, count=n).owns(journey)]
        assert len(owners) == 1


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "1", "a/b", "-1/2", ""])
def test_a_bad_shard_is_refused_naming_the_argument(text: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "scan", "--shard", text])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert str(result.exception).startswith("--shard: expected")
    assert "\n" not in str(result.exception)
    with pytest.raises(ValueError, match="i/n"):
        Shard.parse(text)


def _context(
    settings: Settings, warehouse: Warehouse, sessions: sessionmaker[Session], root: Path
) -> RunContext:
    return RunContext(
        settings=settings,
        workspace=Workspace.resolve(root),
        warehouse=warehouse,
        sessions=sessions,
    )


def _filed(sessions: sessionmaker[Session]) -> tuple[set[str], set[str]]:
    with sessions() as s:
        actions = set(s.scalars(select(ActionRow.id)))
        breakdowns = set(s.scalars(select(BreakdownRow.id)))
    return actions, breakdowns


def _worker(
    settings: Settings, url: str, sessions: sessionmaker[Session], root: Path, i: int
) -> ScanOutcome:
    with Warehouse.open(url) as wh:
        ctx = _context(settings, wh, sessions, root / f"worker{i}")
        return run_scan(ctx, shard=Shard(index=i, count=2))


def test_two_workers_on_postgresql_file_what_one_scan_files(
    demo_base: Path, tmp_path: Path, settings: Settings, pg_url: str
) -> None:
    # The demo warehouse, read by two workers (threads with contexts of their own) at once.
    shutil.copy(demo_base / "home" / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    with Warehouse.open(url) as one_wh:
        for single in store_sessions("postgresql", tmp_path / "single", pg_url):
            alone = run_scan(_context(settings, one_wh, single, tmp_path / "alone"))
            expected = _filed(single)
    assert alone.proposed and len({b.journey for b in alone.result.breakdowns}) >= 2
    for sessions in store_sessions("postgresql", tmp_path / "sharded", pg_url):
        worker = partial(_worker, settings, url, sessions, tmp_path)

        with ThreadPoolExecutor(max_workers=2) as pool:
            first, second = pool.map(worker, [1, 2])
        assert _filed(sessions) == expected
        assert set(first.proposed).isdisjoint(second.proposed)
        assert sorted(first.proposed + second.proposed) == sorted(alone.proposed)
        journeys = [{b.journey for b in o.result.breakdowns} for o in (first, second)]
        assert journeys[0].isdisjoint(journeys[1])
        assert first.series_tested == second.series_tested == alone.series_tested
        # A worker run again (a retry, a second scheduler) files nothing new.
        again = worker(1)
        assert again.proposed == [] and sorted(again.existing) == sorted(first.proposed)
        assert _filed(sessions) == expected
