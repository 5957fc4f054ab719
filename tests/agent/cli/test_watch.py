"""`journeyops watch --once`: loads the drop folder, runs one cycle, reports it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agent.cli.app import app

runner = CliRunner()
HEADER = "ts,journey,stage,customer_id,completed,channel\n"


def test_watch_once_loads_dropped_files_and_prints_the_cycle(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "0001.csv").write_text(HEADER + "2026-03-01T10:00:00Z,checkout,cart,c1,1,web\n")
    out = runner.invoke(
        app,
        ["--home", str(tmp_path / "home"), "watch", "--once", "--json", "--drop-dir", str(drop)],
    )
    assert out.exit_code == 0, out.output
    cycle = json.loads(out.stdout.strip().splitlines()[-1])
    assert [(d["file"], d["status"], d["rows"]) for d in cycle["drops"]] == [
        ("0001.csv", "loaded", 1)
    ]
    assert cycle["cycle"]["opened"] == []
    assert (drop / "done" / "0001.csv").exists()


def test_watch_refuses_a_missing_drop_folder_in_one_line(tmp_path: Path) -> None:
    out = runner.invoke(
        app,
        ["--home", str(tmp_path / "home"), "watch", "--once", "--drop-dir", str(tmp_path / "nope")],
    )
    assert out.exit_code != 0
    assert isinstance(out.exception, Exception) and "--drop-dir" in str(out.exception)


def test_ingest_events_dedupe_rows_skips_visits_already_stored(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    first = tmp_path / "a.csv"
    first.write_text(HEADER + "2026-03-01T10:00:00Z,checkout,cart,c1,1,web\n")
    second = tmp_path / "b.csv"
    second.write_text(
        HEADER
        + "2026-03-01T10:00:00Z,checkout,cart,c1,1,web\n"
        + "2026-03-01T10:05:00Z,checkout,cart,c2,0,web\n"
    )
    assert runner.invoke(app, ["--home", home, "ingest", "events", str(first)]).exit_code == 0
    out = runner.invoke(app, ["--home", home, "ingest", "events", "--dedupe-rows", str(second)])
    assert out.exit_code == 0, out.output
    # The terminal folds long paths, so compare the words, not the line breaks.
    said = " ".join(out.output.split())
    assert "1 events" in said and "1 already stored" in said
