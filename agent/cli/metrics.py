"""CLI: the metric catalog — list it, and import metric definitions from a dbt project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.cli.env import env

metrics_app = typer.Typer(help="The metric catalog.", no_args_is_help=True)
import_app = typer.Typer(help="Import metric definitions.", no_args_is_help=True)
metrics_app.add_typer(import_app, name="import")
console = Console()


@metrics_app.command("list")
def metrics_list(ctx: typer.Context) -> None:
    """List the catalog's metrics: the ratio of sums, direction, unit and money per unit."""
    table = Table(title="Metric catalog")
    # The metric name is what users type elsewhere, so it is never cut; the rest may wrap.
    table.add_column("metric", no_wrap=True)
    for col in ("label", "ratio of sums", "better", "unit", "money per unit"):
        table.add_column(col)
    for m in env(ctx).settings.metrics.values():
        money = m.unit_value_column or f"{m.unit_value:g}"
        ratio = f"{m.numerator.text} / {m.denominator.text}"
        table.add_row(*(Text(v) for v in (m.name, m.label, ratio, m.direction, m.unit, money)))
    console.print(table)


@import_app.command("dbt")
def import_dbt(
    path: Annotated[Path, typer.Argument(help="The dbt project folder (holds dbt_project.yml).")],
    out: Annotated[Path, typer.Option(help="TOML file to write the mapped metrics to.")] = Path(
        "dbt-metrics.toml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite OUT if it exists.")] = False,
) -> None:
    """Map a dbt project's semantic layer (MetricFlow YAML) onto the metric catalog.

    Writes the metrics that are ratios of sums to OUT and lists those that are not, with
    the reason. Add OUT to `include` in the `catalog` table of config.toml to use them.
    """
    # Imported when the command runs, for start-up time.
    from store.dbt_project import read_dbt_project
    from tools.catalog_toml import render_toml
    from tools.dbt_metrics import map_project

    result = map_project(read_dbt_project(path))
    if out.exists() and not force:
        raise typer.BadParameter(f"{out} exists; pass --force to overwrite it", param_hint="--out")
    out.write_text(render_toml(result, source=path), encoding="utf-8")
    mapped = Table(title=f"Mapped ({len(result.mapped)}) → {out}")
    for col in ("metric", "ratio of sums", "better", "unit", "notes"):
        mapped.add_column(col)
    for m in result.mapped:
        ratio = f"{m.metric.numerator.text} / {m.metric.denominator.text}"
        cells = (m.name, ratio, m.metric.direction, m.metric.unit, "; ".join(m.notes))
        mapped.add_row(*(Text(c) for c in cells))
    console.print(mapped)
    if result.unmapped:
        skipped = Table(title=f"Not mapped ({len(result.unmapped)})")
        for col in ("metric", "defined at", "reason"):
            skipped.add_column(col)
        for u in result.unmapped:
            skipped.add_row(Text(u.name), Text(u.source), Text(u.reason))
        console.print(skipped)
    dims = sorted({d for ds in result.dimensions.values() for d in ds})
    if dims:
        console.print(Text(f"Dimensions the semantic models declare: {', '.join(dims)}"))
    console.print(Text(f'Use them: add "{out}" to include = [...] under [catalog] in config.toml'))
