"""CLI: `journeyops watch`, the live watch (docs/live.md)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agent.cli.env import env
from store.errors import InputError

console = Console()
err_console = Console(stderr=True)


def watch(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle, then exit.")] = False,
    interval: Annotated[
        float | None,
        typer.Option(help="Minutes between cycles (default: [live] interval_minutes)."),
    ] = None,
    drop_dir: Annotated[
        Path | None,
        typer.Option(
            "--drop-dir", help="Folder of micro-batch files to load each cycle ([live] drop_dir)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per cycle.")] = False,
) -> None:
    """Test every journey, stage, metric and large segment every few minutes."""
    # Imported when the command runs, for start-up time.
    from agent.watch.loop import WatchCycle, Watcher

    e = env(ctx)
    live = e.settings.live
    folder = drop_dir or (Path(live.drop_dir) if live.drop_dir else None)
    if folder is not None and not folder.is_dir():
        raise InputError("--drop-dir", None, None, f"not a folder: {folder}")
    minutes = live.interval_minutes if interval is None else interval
    if minutes <= 0:
        raise InputError("--interval", None, None, "must be a positive number of minutes")
    run = e.context(
        status=lambda m: err_console.print(f"[dim]{m}[/dim]", highlight=False),
        with_insights=False,
    )
    watcher = Watcher(run, drop_dir=folder)

    def show(result: WatchCycle) -> None:
        if as_json:
            sys.stdout.write(result.model_dump_json() + "\n")
            sys.stdout.flush()
        else:
            console.print(result.line(), highlight=False)

    if once:
        show(watcher.cycle())
        return
    if not as_json:
        console.print(f"watching every {minutes:g} min; Ctrl-C to stop", highlight=False)
    try:
        watcher.run_forever(interval=dt.timedelta(minutes=minutes), on_cycle=show)
    except KeyboardInterrupt:
        console.print("stopped")
