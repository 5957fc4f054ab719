"""CLI ingestion: undeclared journeys register with an inferred funnel; bad files change nothing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agent.cli.app import app
from agent.config import DEFAULT_CONFIG

runner = CliRunner()
HEADER = "ts,journey,stage,customer_id,completed,channel\n"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _events(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_events_of_an_undeclared_journey_register_it_with_stages_in_funnel_order(
    tmp_path: Path,
) -> None:
    rows = []
    for c in range(30):
        rows.append(f"2026-03-01T10:{c:02d}:00Z,onboarding,signup,c{c},1,web")
        rows.append(f"2026-03-01T11:{c:02d}:00Z,onboarding,verify,c{c},{c % 2},web")
        if c % 2:
            rows.append(f"2026-03-01T12:{c:02d}:00Z,onboarding,first_use,c{c},1,web")
    home = tmp_path / "home"
    out = runner.invoke(
        app, ["--home", str(home), "ingest", "events", str(_events(tmp_path / "e.csv", rows))]
    )
    assert out.exit_code == 0, out.output
    assert "not declared" in _flat(out.output)
    assert "signup → verify → first_use" in _flat(out.output)


def test_a_malformed_file_is_refused_with_file_line_and_field(tmp_path: Path) -> None:
    home = tmp_path / "home"
    good = _events(tmp_path / "good.csv", ["2026-03-01T10:00:00Z,onboarding,signup,c1,1,web"])
    assert runner.invoke(app, ["--home", str(home), "ingest", "events", str(good)]).exit_code == 0
    bad = _events(
        tmp_path / "bad.csv",
        [
            "2026-03-02T10:00:00Z,onboarding,signup,c2,1,web",
            "2026-03-02T25:00:00Z,onboarding,signup,c3,1,web",
        ],
    )
    result = runner.invoke(app, ["--home", str(home), "ingest", "events", str(bad)])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit) or "bad.csv:3" in str(result.exception)
    again = runner.invoke(app, ["--home", str(home), "ingest", "events", str(good)])
    assert "already ingested" in _flat(again.output)


def test_insights_remove_by_id_and_by_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
            'embedder = "minilm"', 'embedder = "hashing"'
        ),
        encoding="utf-8",
    )
    rows = [
        {"id": f"i{n}", "ts": "2026-03-02T10:00:00Z", "journey": "loans", "text": f"slow {n}"}
        for n in range(4)
    ]
    first = tmp_path / "a.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in rows[:3]), encoding="utf-8")
    second = tmp_path / "b.jsonl"
    second.write_text(json.dumps(rows[3]) + "\n", encoding="utf-8")
    base = ["--home", str(tmp_path / "home"), "--config", str(config)]
    for file in (first, second):
        assert runner.invoke(app, [*base, "ingest", "insights", str(file)]).exit_code == 0
    out = runner.invoke(app, [*base, "insights", "remove", "--id", "i3", "--id", "nope"])
    assert out.exit_code == 0, out.output
    assert "Removed 1 of 2 insights (1 not stored)" in _flat(out.output)
    out = runner.invoke(app, [*base, "insights", "remove", "--file", str(first)])
    assert "Removed 3 of 3 insights" in _flat(out.output)
