"""CLI: the newest scan's incidents, and council feedback on them (dismiss, snooze)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.cli.env import env
from store.errors import InputError

incidents_app = typer.Typer(
    help="Incidents (breakdowns sharing a cause) and council feedback on them.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)


@incidents_app.command("list")
def incidents_list(ctx: typer.Context) -> None:
    """List the newest scan's incidents and every dismissal or snooze given so far."""
    # Imported when the command runs, for start-up time.
    from agent.actions.feedback import current_incidents
    from agent.reports.incidents import COLUMNS, incident_rows
    from store.incidents import list_feedback

    run = env(ctx).context(with_insights=False)
    found = current_incidents(run)
    table = Table(title="Incidents of the newest scan")
    table.add_column("id", no_wrap=True)
    for col in COLUMNS:
        table.add_column(col)
    for inc, row in zip(found, incident_rows(found), strict=True):
        table.add_row(Text(inc.id), *(Text(c) for c in row))
    console.print(table)
    with run.sessions() as session:
        given = list_feedback(session)
    for f in given:
        until = f" until {f.until}" if f.until else ""
        line = f"{f.at:%Y-%m-%d} {f.by} {f.feedback}{until} {f.journey} {f.kind} {f.segment}: "
        console.print(Text(line + f.reason))


def _give(
    ctx: typer.Context,
    incident_id: str,
    user: str,
    reason: str,
    feedback: Literal["expected", "false_alarm", "snoozed"],
    until: dt.date | None = None,
) -> None:
    # Imported when the command runs, for start-up time.
    from agent.actions.feedback import give_feedback
    from store.incidents import FeedbackRefused

    run = env(ctx).context(with_insights=False)
    try:
        given = give_feedback(
            run, incident_id=incident_id, feedback=feedback, reason=reason, by=user, until=until
        )
    except FeedbackRefused as exc:
        err_console.print(f"[bold red]refused:[/bold red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(
        Text(
            f"{given.feedback} by {given.by} recorded on {incident_id} ({given.pattern}): "
            "the scan will not file this pattern again"
            + (f" before {given.until + dt.timedelta(days=1)}" if given.until else "")
        )
    )


@incidents_app.command("dismiss")
def incidents_dismiss(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(help="Incident id (inc-…).")],
    user: Annotated[str, typer.Option("--as", help="Council member dismissing it.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
    false_alarm: Annotated[
        bool, typer.Option("--false-alarm/--expected", help="A false alarm, or expected.")
    ] = False,
) -> None:
    """Dismiss an incident as expected (or a false alarm): its pattern is not filed again."""
    _give(ctx, incident_id, user, reason, "false_alarm" if false_alarm else "expected")


@incidents_app.command("snooze")
def incidents_snooze(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(help="Incident id (inc-…).")],
    user: Annotated[str, typer.Option("--as", help="Council member snoozing it.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
    until: Annotated[str, typer.Option(help="Last day it stays silent (YYYY-MM-DD).")],
) -> None:
    """Snooze an incident: its pattern is not filed again until the day after `--until`."""
    try:
        day = dt.date.fromisoformat(until)
    except ValueError:
        raise InputError("--until", None, None, f"not a date (YYYY-MM-DD): {until!r}") from None
    _give(ctx, incident_id, user, reason, "snoozed", day)
