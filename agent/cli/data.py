"""CLI: load journey definitions and ingest events and insights."""

from __future__ import annotations

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

from agent.cli.env import env

journeys_app = typer.Typer(
    help="Journey definitions: stages, owners and councils.", no_args_is_help=True
)
ingest_app = typer.Typer(
    help="Load events into the warehouse and insights into the insight store.", no_args_is_help=True
)
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
    console.print(f"Loaded {len(saved)} journeys from {file}: {', '.join(saved)}")


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
            table.add_row(
                j.id,
                j.parent_id or "",
                " → ".join(j.stages),
                j.owner or "",
                f"{', '.join(deciders) or '(none)'} ({council.quorum})",
                "declared" if j.declared else "inferred from events",
            )
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
            console.print(f"{file}: already ingested, nothing to do")
            continue
        rate = report.rows / max(report.seconds, 1e-9)
        dupes = f", {report.duplicates:,} already stored" if report.duplicates else ""
        console.print(
            f"{file}: {report.rows:,} events in {report.seconds:.1f} s ({rate:,.0f} rows/s){dupes}"
        )
        for journey, stages in done.registered.items():
            console.print(
                f"[yellow]notice:[/yellow] journey '{journey}' is not declared; "
                "registered it with stages inferred from the data: "
                f"{' → '.join(stages)}. "
                "Declare it in a journeys file to set its owner and council."
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
            )
        console.print(
            f"{file}: {report.rows:,} insights, {report.added:,} new, "
            f"{report.skipped_existing:,} already stored, {report.seconds:.1f} s"
        )
