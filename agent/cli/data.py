"""CLI: the data you bring: journeys, events, insights and the metric catalog (dbt too)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from agent.cli.env import env
from agent.reports.escape import terminal_text

journeys_app = typer.Typer(
    help="Journey definitions: stages, owners and councils.", no_args_is_help=True
)
ingest_app = typer.Typer(
    help="Load events into the warehouse and insights into the insight store.", no_args_is_help=True
)
insights_app = typer.Typer(help="Customer insights in the insight store.", no_args_is_help=True)
console = Console()


def _tracker(progress: Progress, task: TaskID) -> Callable[[int, int], None]:
    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return update


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@journeys_app.command("load")
def journeys_load(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Journeys file (TOML or YAML).")]
) -> None:
    """Load (or update) journeys, their ordered stages, owners and councils from FILE."""
    # Imported when the command runs, for start-up time.
    from agent.ingest import load_journeys

    saved = load_journeys(env(ctx).context(with_insights=False), file)
    console.print(terminal_text(f"Loaded {len(saved)} journeys from {file}: {', '.join(saved)}"))


@journeys_app.command("list")
def journeys_list(ctx: typer.Context) -> None:
    """List journeys with their stages, owner, council and quorum."""
    # Imported when the command runs, for start-up time.
    from store.journeys import council_for, list_journeys

    run = env(ctx).context(with_insights=False)
    table = Table(title="Journeys")
    for col in ("journey", "parent", "stages", "owner", "council (quorum)", "source"):
        table.add_column(col)
    with run.sessions() as session:
        for j in list_journeys(session):
            council = council_for(session, journey_id=j.id)
            deciders = [m.user for m in council.members if m.can_decide]
            cells = (
                j.id,
                j.parent_id or "",
                " → ".join(j.stages),
                j.owner or "",
                f"{', '.join(deciders) or '(none)'} ({council.quorum})",
                "declared" if j.declared else "inferred from events",
            )
            table.add_row(*(terminal_text(c) for c in cells))
    console.print(table)


@ingest_app.command("events")
def ingest_events(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Events files (CSV or Parquet).")],
    dedupe_rows: Annotated[
        bool,
        typer.Option(
            "--dedupe-rows",
            help="Skip rows already stored (same ts, journey, stage, customer_id): "
            "for overlapping micro-batches.",
        ),
    ] = False,
) -> None:
    """Validate and load events; each file is one transaction and is loaded only once."""
    # Imported when the command runs, for start-up time.
    from agent.ingest import ingest_events as ingest_one

    run = env(ctx).context(with_insights=False)
    for file in files:
        with _progress() as progress:
            task = progress.add_task(f"Ingesting {file.name}", total=None)
            done = ingest_one(run, file, progress=_tracker(progress, task), dedupe_rows=dedupe_rows)
        report = done.report
        if report.already_ingested:
            console.print(terminal_text(f"{file}: already ingested, nothing to do"))
            continue
        rate = report.rows / max(report.seconds, 1e-9)
        dupes = f", {report.duplicates:,} already stored" if report.duplicates else ""
        console.print(
            terminal_text(
                f"{file}: {report.rows:,} events in {report.seconds:.1f} s "
                f"({rate:,.0f} rows/s){dupes}"
            )
        )
        for journey, stages in done.registered.items():
            console.print(
                Text("notice: ", style="yellow")
                + terminal_text(
                    f"journey '{journey}' is not declared; "
                    "registered it with stages inferred from the data: "
                    f"{' → '.join(stages)}. "
                    "Declare it in a journeys file to set its owner and council."
                )
            )


@ingest_app.command("insights")
def ingest_insights(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Insights files (CSV or JSONL).")],
) -> None:
    """Validate, sanitize, embed and store customer insights (idempotent by id)."""
    # Imported when the command runs, for start-up time.
    from agent.context import open_insights

    e = env(ctx)
    store = open_insights(e.settings, e.workspace)
    for file in files:
        with _progress() as progress:
            task = progress.add_task(f"Embedding {file.name}", total=None)
            report = store.ingest(
                file,
                progress=_tracker(progress, task),
                limits=e.settings.inputs,
                now=dt.datetime.now(dt.UTC),
            )
        console.print(
            terminal_text(
                f"{file}: {report.rows:,} insights, {report.added:,} new, "
                f"{report.skipped_existing:,} already stored, {report.seconds:.1f} s"
            )
        )


@insights_app.command("remove")
def insights_remove(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="Id of an insight to remove (repeatable).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Remove every insight whose id this file has.")
    ] = None,
) -> None:
    """Remove insights by id, or every insight an insights file brought."""
    # Imported when the command runs, for start-up time.
    from agent.context import open_insights
    from store.errors import InputError
    from store.insights import ids_in

    if bool(ids) == (file is not None):
        raise InputError("insights remove", None, None, "give --id (one or more) or --file")
    e = env(ctx)
    store = open_insights(e.settings, e.workspace)
    wanted = list(ids or []) if file is None else ids_in(file)
    removed = store.remove(wanted)
    console.print(
        f"Removed {removed:,} of {len(wanted):,} insights ({len(wanted) - removed:,} not stored)"
    )


# CLI: the metric catalog — list it, and import metric definitions from a dbt project.

metrics_app = typer.Typer(help="The metric catalog.", no_args_is_help=True)
import_app = typer.Typer(help="Import metric definitions.", no_args_is_help=True)
metrics_app.add_typer(import_app, name="import")


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
