"""`journeyops metrics import dbt`: a dbt project's metrics become catalog metrics that scan.

The imported file is included from config.toml, loads into the validated settings, and the
warehouse computes an imported metric exactly as it computes the built-in one it restates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from agent.cli.app import app
from agent.config import DEFAULT_CONFIG, ConfigError, load_settings
from store.warehouse import Warehouse

PROJECT = Path(__file__).resolve().parents[2] / "support" / "dbt_project"
EVENTS = """\
ts,journey,stage,customer_id,completed,channel,contacts,transfers,duration_s,value
2026-03-01T09:00:00Z,claims,intake,c1,1,web,0,0,30,100
2026-03-01T09:05:00Z,claims,intake,c2,0,app,2,1,50,80
2026-03-01T10:00:00Z,claims,intake,c3,1,app,3,0,,120
2026-03-02T09:00:00Z,claims,intake,c4,0,web,1,2,20,90
"""


def _config_including(tmp_path: Path, imported: Path) -> Path:
    config = tmp_path / "config.toml"
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert "\ninclude = []\n" in text
    text = text.replace("\ninclude = []\n", f'\ninclude = ["{imported.name}"]\n', 1)
    config.write_text(text, encoding="utf-8")
    return config


def test_imported_metrics_load_and_compute_like_the_built_in_ones(tmp_path: Path) -> None:
    out = tmp_path / "dbt-metrics.toml"
    result = CliRunner().invoke(
        app, ["metrics", "import", "dbt", str(PROJECT), "--out", str(out)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Mapped (6)" in result.output and "Not mapped (10)" in result.output
    assert "# not mapped: paid_conversion" in out.read_text(encoding="utf-8")

    settings = load_settings(_config_including(tmp_path, out))
    assert {"stage_conversion", "repeat_contact_share", "transfer_share"} <= set(settings.metrics)
    csv = tmp_path / "events.csv"
    csv.write_text(EVENTS, encoding="utf-8")
    with Warehouse.open(f"duckdb:///{tmp_path / 'w.duckdb'}") as wh:
        wh.ingest_events(csv)
        pairs = [("stage_conversion", "conversion"), ("avg_handle_time", "duration")]
        metrics = [settings.metrics[n] for pair in pairs for n in pair]
        daily = wh.daily_series(metrics=metrics, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 2))
    for imported, built_in in pairs:
        for part in ("num", "den"):
            assert list(daily[f"{imported}__{part}"]) == list(daily[f"{built_in}__{part}"])
    assert list(daily["stage_conversion__num"]) == [2, 0]


def test_an_included_metric_may_not_redefine_one_in_config(tmp_path: Path) -> None:
    clash = tmp_path / "clash.toml"
    clash.write_text(
        '[metrics.conversion]\nlabel = "x"\nnumerator = "completed"\ndenominator = "visits"\n'
        'direction = "higher"\nunit_value = 1\n',
        encoding="utf-8",
    )
    config = _config_including(tmp_path, clash)
    try:
        load_settings(config)
    except ConfigError as exc:
        assert "metrics.conversion is already defined" in str(exc)
        assert str(clash) in str(exc)
    else:
        raise AssertionError("a clashing include was accepted")


def test_an_existing_output_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "dbt-metrics.toml"
    out.write_text("# mine\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["metrics", "import", "dbt", str(PROJECT), "--out", str(out)])
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "# mine\n"


def test_the_catalog_lists_its_ratios(tmp_path: Path) -> None:
    # The console's width is fixed when the CLI is imported, so cells may wrap: each row's
    # first line still holds the metric name, the numerator and the direction.
    result = CliRunner().invoke(app, ["--home", str(tmp_path / "h"), "metrics", "list"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "│" in line]
    assert any("conversion" in r and "completed" in r and "higher" in r for r in rows)
    assert any("repeat_contact_rate" in r and "contacts>1" in r and "lower" in r for r in rows)
