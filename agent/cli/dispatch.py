"""CLI: `journeyops dispatch` — send approved actions through the outbox, once or in a loop."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from agent.cli.actions import console, resume_or_warn
from agent.cli.audit import warn_about_audit_key
from agent.cli.env import env


def dispatch_command(
    ctx: typer.Context,
    loop: Annotated[bool, typer.Option("--loop", help="Keep dispatching until stopped.")] = False,
    interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between idle passes with --loop.")
    ] = 10.0,
    lease: Annotated[
        float,
        typer.Option(
            "--lease-seconds", min=1.0, help="Per-row lease, renewed while a row is sent."
        ),
    ] = 15.0,
) -> None:
    """Send approved actions to their workflow targets (re-checking each approval first)."""
    # Imported when the command runs, for start-up time.
    from agent.actions.dispatch import Dispatcher, DispatchReport

    run = env(ctx).context(with_insights=False)
    warn_about_audit_key(run)
    dispatcher = Dispatcher(
        sessions=run.sessions,
        targets=run.settings.workflows,
        clock=run.clock,
        lease=dt.timedelta(seconds=lease),
    )

    def show(report: DispatchReport) -> None:
        resume_or_warn(run, report.delivered + report.dead_lettered)
        for action_id in report.delivered:
            console.print(f"delivered {action_id}")
        for action_id in report.dead_lettered:
            console.print(f"[bold red]dead-lettered[/bold red] {action_id}", highlight=False)
        for action_id in report.closed:
            console.print(
                f"[bold red]not sent[/bold red] {action_id}: see `journeyops audit show "
                f"{action_id}`",
                highlight=False,
            )

    if not loop:
        report = dispatcher.run_once()
        show(report)
        console.print(
            f"{len(report.delivered)} delivered · {len(report.dead_lettered)} dead-lettered"
        )
        if report.dead_lettered:
            raise typer.Exit(1)
        return
    console.print(f"dispatching every {interval:g} s; Ctrl-C to stop")
    try:
        dispatcher.run_loop(interval_s=interval, stop=lambda: False, on_pass=show)
    except KeyboardInterrupt:
        console.print("stopped")
