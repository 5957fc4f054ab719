"""The `journeyops` command line: one entry point that builds the real run context."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agent.cli.actions import actions_app, pending_actions
from agent.cli.audit import audit_app, outcomes_app
from agent.cli.chat import ask, chat
from agent.cli.data import ingest_app, journeys_app
from agent.cli.dispatch import dispatch_command
from agent.cli.env import CliEnv, env
from agent.cli.eval import demo_data, eval_app
from agent.cli.metrics import metrics_app
from agent.cli.watch import watch
from agent.cli.web import report_app, schedule, serve, tokens_app, users_app
from agent.config import ConfigError
from agent.llm.protocol import LLMError
from store.errors import InputError

app = typer.Typer(
    help="journeyops: find why customer journeys break and file governed fixes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(journeys_app, name="journeys")
app.add_typer(ingest_app, name="ingest")
app.add_typer(actions_app, name="actions")
app.add_typer(eval_app, name="eval")
app.command("demo-data")(demo_data)
app.command()(ask)
app.command()(chat)
app.add_typer(audit_app, name="audit")
app.add_typer(outcomes_app, name="outcomes")
app.command("dispatch")(dispatch_command)
app.command()(serve)
app.command()(schedule)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(report_app, name="report")
app.add_typer(metrics_app, name="metrics")
app.command()(watch)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", envvar="JOURNEYOPS_HOME", help="Workspace folder (default ./.journeyops)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="JOURNEYOPS_CONFIG", help="config.toml to use."),
    ] = None,
) -> None:
    ctx.obj = CliEnv(home=home, config=config)


@app.command()
def scan(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last day of the window (default: newest data).")
    ] = None,
    journey: Annotated[str | None, typer.Option(help="Only this journey.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scan contract as JSON.")
    ] = False,
    propose: Annotated[bool, typer.Option(help="File recommended actions for approval.")] = True,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Scan only this share of the journeys, as i/n (run every i from 1 to n)."
        ),
    ] = None,
) -> None:
    """Scan every journey: detect, localize, explain, recommend and file proposals."""
    # Imported when the command runs, for start-up time.
    from agent.investigate.scan import run_scan
    from agent.investigate.shard import Shard
    from agent.reports.markdown import render_markdown
    from agent.reports.terminal import print_report

    e = env(ctx)
    day = dt.date.fromisoformat(as_of) if as_of else None
    try:
        part = None if shard is None else Shard.parse(shard)
    except ValueError as exc:
        raise InputError("--shard", None, None, str(exc)) from None
    run = e.context(status=None if as_json else _status)
    outcome = run_scan(run, as_of=day, journey=journey, propose=propose, shard=part)
    pending = pending_actions(run)
    report = e.workspace.reports_dir / f"scan-{outcome.result.as_of}.md"
    report.write_text(
        render_markdown(outcome.result, e.settings.metrics, pending), encoding="utf-8"
    )
    if as_json:
        sys.stdout.write(outcome.result.model_dump_json(indent=2) + "\n")
        return
    print_report(console, outcome.result, e.settings.metrics, pending)
    console.print(
        f"{outcome.series_tested} series tested · {len(outcome.result.breakdowns)} breakdowns · "
        f"{len(outcome.proposed)} new proposals ({len(outcome.existing)} already filed)"
    )
    if outcome.llm_usage is not None:
        u = outcome.llm_usage
        console.print(
            f"Model usage: {u.calls} calls, {u.prompt_tokens:,} prompt + "
            f"{u.completion_tokens:,} completion tokens"
        )
    console.print(f"Report written to {report}")


def _status(message: str) -> None:
    err_console.print(f"[dim]{message}[/dim]", highlight=False)


def main() -> None:
    """Run the CLI, turning expected errors into one clear line and exit code 2."""
    try:
        app()
    except (ConfigError, InputError, LLMError) as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, markup=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
