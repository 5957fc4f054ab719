"""CLI: evaluations and benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

eval_app = typer.Typer(help="Evaluations and benchmarks.", no_args_is_help=True)
console = Console()


@eval_app.command("rca-bench")
def rca_bench(
    data: Annotated[
        Path | None, typer.Option(help="Folder laid out like shared/rca-bench (labels.csv + data).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write predictions TSV here.")] = None,
) -> None:
    """Run the product's localizer on every root-cause benchmark case and score it."""
    from evals.rca_bench import default_data_dir, render_bench, run_bench

    folder = data or default_data_dir()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Localizing benchmark cases", total=None)
        report = run_bench(
            folder,
            out=out,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    console.print(render_bench(report))
