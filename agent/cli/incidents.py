"""CLI: the newest scan's incidents, and council feedback on them (dismiss, snooze)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from agent.cli.env import AsUser, TokenFile, env, who
from agent.reports.escape import error_line, terminal_text
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
        table.add_column(col, overflow="fold")
    for inc, row in zip(found, incident_rows(found), strict=True):
        table.add_row(terminal_text(inc.id), *(terminal_text(c) for c in row))
    console.print(table)
    with run.sessions() as session:
        given = list_feedback(session)
    for f in given:
        until = f" until {f.until}" if f.until else ""
        line = f"{f.at:%Y-%m-%d} {f.by} {f.feedback}{until} {f.journey} {f.kind} {f.segment}: "
        console.print(terminal_text(line + f.reason))


def _give(
    ctx: typer.Context,
    incident_id: str,
    user: str | None,
    token_file: Path | None,
    reason: str,
    feedback: Literal["expected", "false_alarm", "snoozed"],
    until: dt.date | None = None,
) -> None:
    # Imported when the command runs, for start-up time.
    from agent.actions.feedback import give_feedback
    from store.incidents import FeedbackRefused

    run = env(ctx).context(with_insights=False)
    # Feedback silences future proposals, so it needs the same credentials as a decision.
    by = who(run, as_user=user, token_file=token_file)
    try:
        given = give_feedback(
            run, incident_id=incident_id, feedback=feedback, reason=reason, by=by, until=until
        )
    except FeedbackRefused as exc:
        err_console.print(error_line(exc, "refused"), highlight=False)
        raise typer.Exit(1) from None
    console.print(
        terminal_text(
            f"{given.feedback} by {given.by} recorded on {incident_id} ({given.pattern}): "
            "the scan will not file this pattern again"
            + (f" before {given.until + dt.timedelta(days=1)}" if given.until else "")
        )
    )


@incidents_app.command("dismiss")
def incidents_dismiss(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(help="Incident id (inc-…).")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
    false_alarm: Annotated[
        bool, typer.Option("--false-alarm/--expected", help="A false alarm, or expected.")
    ] = False,
    user: AsUser = None,
    token_file: TokenFile = None,
) -> None:
    """Dismiss an incident as expected (or a false alarm): its pattern is not filed again."""
    kind: Literal["expected", "false_alarm"] = "false_alarm" if false_alarm else "expected"
    _give(ctx, incident_id, user, token_file, reason, kind)


@incidents_app.command("snooze")
def incidents_snooze(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(help="Incident id (inc-…).")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
    until: Annotated[str, typer.Option(help="Last day it stays silent (YYYY-MM-DD).")],
    user: AsUser = None,
    token_file: TokenFile = None,
) -> None:
    """Snooze an incident: its pattern is not filed again until the day after `--until`."""
    try:
        day = dt.date.fromisoformat(until)
    except ValueError:
        raise InputError("--until", None, None, f"not a date (YYYY-MM-DD): {until!r}") from None
    _give(ctx, incident_id, user, token_file, reason, "snoozed", day)
