"""CLI: the council app (`serve`), its users and tokens, `schedule` and `report weekly`."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from agent.cli.audit import warn_about_audit_key
from agent.cli.env import CliEnv, env, parse_day
from agent.context import RunContext
from agent.reports.escape import error_line, terminal_text
from store.warehouse import set_process_label

if TYPE_CHECKING:
    from fastapi import FastAPI

users_app = typer.Typer(help="People who may sign in to the council app.", no_args_is_help=True)
tokens_app = typer.Typer(help="Sign-in tokens for the council app.", no_args_is_help=True)
report_app = typer.Typer(help="Reports for journey councils.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default from [web]).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from [web]).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes sharing the workspace.")
    ] = 1,
) -> None:
    """Run the council web app (pages and the JSON API under /api)."""
    # Imported when the command runs, for start-up time.
    import uvicorn

    from agent.web import create_app

    e = env(ctx)
    warn_about_audit_key(e.context())
    bind_host, bind_port = host or e.settings.web.host, port or e.settings.web.port
    console.print(f"council app on http://{bind_host}:{bind_port}/ (Ctrl-C to stop)")
    if workers == 1:
        app = create_app(lambda: e.context())
        uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning")
        return
    # Worker processes start afresh: they find this workspace and config in the environment.
    os.environ["JOURNEYOPS_HOME"] = str(e.workspace.root)
    if e.config is not None:
        os.environ["JOURNEYOPS_CONFIG"] = str(e.config.resolve())
    uvicorn.run(
        "agent.cli.web:worker_app",
        factory=True,
        workers=workers,
        # A worker answers uvicorn's health check only once it has imported the app, which
        # takes seconds on a busy host; a short limit would restart it forever.
        timeout_worker_healthcheck=300,
        host=bind_host,
        port=bind_port,
        log_level="warning",
    )


def worker_app() -> FastAPI:
    """Build the app in one `serve --workers` process (uvicorn calls this factory)."""
    # Imported when a worker starts, for start-up time.
    from agent.web import create_app

    set_process_label("serve")
    e = CliEnv(home=None, config=None)
    return create_app(lambda: e.context())


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (as in the journeys file's councils).")],
    role: Annotated[
        str, typer.Option(help="viewer, journey_owner, council_member or admin.")
    ] = "viewer",
) -> None:
    """Add a user (or change an existing user's role)."""
    # Imported when the command runs, for start-up time.
    from store.signin.tokens import WebAuthError, add_user

    run = env(ctx).context(with_insights=False)
    try:
        with run.sessions.begin() as session:
            add_user(session, name=name, role=role, now=run.clock())
    except WebAuthError as exc:
        err_console.print(error_line(exc), highlight=False)
        raise typer.Exit(2) from None
    console.print(
        terminal_text(f"{name} may sign in as {role}; mint a token with `journeyops tokens create`")
    )


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List the users and their roles."""
    # Imported when the command runs, for start-up time.
    from store.signin.tokens import list_users

    run = env(ctx).context(with_insights=False)
    with run.sessions() as session:
        for u in list_users(session):
            state = "disabled" if u.disabled_at else "enabled"
            console.print(terminal_text(f"{u.name} {u.role} {state}"), highlight=False)


@users_app.command("disable")
def users_disable(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="User to disable.")]
) -> None:
    """Disable a user: their tokens stop working and open sessions end at the next request."""
    # Imported when the command runs, for start-up time.
    from store.signin.tokens import WebAuthError, disable_user

    run = env(ctx).context(with_insights=False)
    try:
        with run.sessions.begin() as session:
            disable_user(session, name=name, now=run.clock())
    except WebAuthError as exc:
        err_console.print(error_line(exc), highlight=False)
        raise typer.Exit(2) from None
    console.print(terminal_text(f"{name} is disabled; `journeyops users add` enables them again"))


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="User whose tokens to revoke.")]
) -> None:
    """Revoke every sign-in token of a user; their open sessions end at the next request."""
    # Imported when the command runs, for start-up time.
    from store.signin.tokens import revoke_tokens

    run = env(ctx).context(with_insights=False)
    with run.sessions.begin() as session:
        count = revoke_tokens(session, user=name, now=run.clock())
    console.print(terminal_text(f"{count} token(s) of {name} revoked"))


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="User to mint a token for.")]
) -> None:
    """Mint a sign-in token; it is printed once and stored only as a hash."""
    # Imported when the command runs, for start-up time.
    from store.signin.tokens import WebAuthError, create_token

    run = env(ctx).context(with_insights=False)
    try:
        with run.sessions.begin() as session:
            token = create_token(session, user=name, now=run.clock())
    except WebAuthError as exc:
        err_console.print(error_line(exc), highlight=False)
        raise typer.Exit(2) from None
    err_console.print(terminal_text(f"token for {name} (shown once; store it safely):"))
    print(token)


def schedule(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Run every job due now once, then exit.")
    ] = False,
) -> None:
    """Run scans and outcome checks on the cron expressions of [schedule]."""
    # Imported when the command runs, for start-up time.
    from agent.schedule import Scheduler

    e = env(ctx)
    run = e.context(
        status=lambda m: err_console.print(terminal_text(m, style="dim"), highlight=False)
    )
    scheduler = Scheduler(run)
    if once:
        for line in scheduler.run_due(now=run.clock(), force=True):
            console.print(terminal_text(line), highlight=False)
        return
    s = e.settings.schedule
    console.print(f"scan '{s.scan_cron}', outcome checks '{s.outcome_cron}' (UTC); Ctrl-C to stop")
    try:
        scheduler.run_forever(
            on_line=lambda line: console.print(terminal_text(line), highlight=False)
        )
    except KeyboardInterrupt:
        console.print("stopped")


@report_app.command("weekly")
def report_weekly(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last day of the week (default: newest data).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the reports (default: workspace reports/).")
    ] = None,
    email: Annotated[
        bool, typer.Option("--email", help="Also email each review to its [email] recipients.")
    ] = False,
) -> None:
    """Write the weekly journey review (HTML and Markdown per journey) with a funding case."""
    # Imported when the command runs, for start-up time.
    from agent.reports.weekly_files import write_weekly

    e = env(ctx)
    run = e.context(with_insights=False)
    day = parse_day("--as-of", as_of)
    folder = out or e.workspace.reports_dir / "weekly"
    written = write_weekly(run, as_of=day, out=folder)
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    if email:
        _email_weekly(run, day)


def _email_weekly(run: RunContext, day: dt.date | None) -> None:
    # Imported when the command runs, for start-up time.
    from agent.notify.mail import MailError, email_weekly

    try:
        for line in email_weekly(run, as_of=day, environ=os.environ):
            console.print(f"emailed {line}", highlight=False)
    except MailError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        raise typer.Exit(2) from None
