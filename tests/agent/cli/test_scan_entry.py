"""The CLI's scan entry checks: no silent all-clear, names that are known, reports kept apart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.context import build_context
from agent.ingest import ingest_events
from agent.investigate.scan import run_scan
from agent.workspace import Workspace
from store.errors import InputError
from tests.support.cli_main import run_main
from tests.support.journey_events import Funnel, write_events

END = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding five weeks of a three-stage loans funnel."""
    root = tmp_path_factory.mktemp("scan-entry")
    events = write_events(
        root / "loans.csv",
        [Funnel("loans", ["apply", "approve", "fund"], [0.7, 0.6, 0.9])],
        end=END,
    )
    ctx = build_context(load_settings(), Workspace.resolve(root / "home"), with_insights=False)
    try:
        ingest_events(ctx, events)
    finally:
        ctx.warehouse.close()
    return root / "home"


def _stray(tmp_path: Path) -> Path:
    path = tmp_path / "stray.csv"
    path.write_text(
        "ts,journey,stage,customer_id,completed\n2035-03-30T10:00:00Z,loans,apply,x1,1\n",
        encoding="utf-8",
    )
    return path


def test_an_unknown_journey_is_an_error_naming_the_closest_known_one(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_main(capsys, "--home", str(home), "scan", "--journey", "loan")
    assert ran.code == 2
    assert ran.err.strip().splitlines() == [
        "error: --journey: unknown journey 'loan'; did you mean 'loans'? (known: loans)"
    ]
    assert not list((home / "reports").glob("scan-*.md"))


def test_unknown_stage_and_metric_are_errors_with_suggestions(home: Path) -> None:
    ctx = build_context(load_settings(), Workspace.resolve(home), with_insights=False)
    try:
        with pytest.raises(InputError, match=r"--stage: unknown stage .*'aprove'.*'approve'"):
            run_scan(ctx, journey="loans", stage="aprove", propose=False)
        with pytest.raises(InputError, match=r"--metric: unknown metric 'convrsion'.*'conversion'"):
            run_scan(ctx, metric="convrsion", propose=False)
    finally:
        ctx.warehouse.close()


def test_a_scan_that_tests_no_series_is_an_error_not_an_all_clear(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_main(capsys, "--home", str(home), "scan", "--as-of", "2030-01-07")
    assert ran.code == 2
    assert "no series tested in the week to 2030-01-07" in ran.err
    assert "No breakdown" not in ran.out


def test_a_future_row_is_refused_at_ingest_and_never_moves_the_default_window(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_main(capsys, "--home", str(home), "ingest", "events", str(_stray(tmp_path)))
    assert ran.code == 2
    assert "stray.csv:2: field 'ts': dated after" in ran.err
    ran = run_main(capsys, "--home", str(home), "scan", "--json", "--no-propose")
    assert ran.code == 0, ran.err
    assert '"as_of": "2026-03-31"' in ran.out


def test_a_narrower_scan_never_overwrites_the_full_report(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(capsys, "--home", str(home), "scan", "--no-propose").code == 0
    full = home / "reports" / f"scan-{END}.md"
    before = full.read_text(encoding="utf-8")
    ran = run_main(capsys, "--home", str(home), "scan", "--journey", "loans", "--no-propose")
    assert ran.code == 0, ran.err
    assert (home / "reports" / f"scan-{END}-loans.md").exists()
    assert full.read_text(encoding="utf-8") == before


def test_a_bad_date_names_the_option(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (("scan", "--as-of", "31/03/2026"), ("report", "weekly", "--as-of", "31/03/2026")):
        ran = run_main(capsys, "--home", str(home), *args)
        assert ran.code == 2
        assert ran.err.strip() == "error: --as-of: not a date YYYY-MM-DD ('31/03/2026')"
