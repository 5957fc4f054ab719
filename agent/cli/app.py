"""The `journeyops` command line: one entry point that builds the real run context."""

from __future__ import annotations

import errno
import re
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from agent.cli.actions import actions_app, pending_actions
from agent.cli.audit import audit_app, outcomes_app
from agent.cli.channels import mcp, slack_app
from agent.cli.chat import ask, chat
from agent.cli.data import ingest_app, insights_app, journeys_app, metrics_app
from agent.cli.dispatch import dispatch_command
from agent.cli.env import CliEnv, env, parse_day
from agent.cli.eval import demo_data, eval_app
from agent.cli.incidents import incidents_app
from agent.cli.watch import watch
from agent.cli.web import report_app, schedule, serve, tokens_app, users_app
from agent.config import ConfigError
from agent.llm.protocol import LLMError
from agent.reports.escape import error_line, terminal_text
from store.errors import InputError, WarehouseBusyError
from store.warehouse import set_process_label

app = typer.Typer(
    help="journeyops: find why customer journeys break and file governed fixes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help texts name config tables in brackets ("[schedule]"); rich markup would eat them.
    rich_markup_mode=None,
)
app.add_typer(journeys_app, name="journeys")
app.add_typer(ingest_app, name="ingest")
app.add_typer(insights_app, name="insights")
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
app.command()(mcp)
app.add_typer(slack_app, name="slack")
app.add_typer(incidents_app, name="incidents")
app.command()(watch)
console = Console()
err_console = Console(stderr=True)
# Set by the root `--debug` option; read by `main` when a command fails.
_DEBUG = [False]


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
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an error.")
    ] = False,
) -> None:
    ctx.obj = CliEnv(home=home, config=config)
    ctx.call_on_close(ctx.obj.close)
    _DEBUG[0] = debug
    set_process_label(ctx.invoked_subcommand or "journeyops")


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
    from agent.investigate.scan import report_name, run_scan
    from agent.investigate.state import Shard
    from agent.reports.markdown import render_markdown
    from agent.reports.terminal import print_report

    e = env(ctx)
    day = parse_day("--as-of", as_of)
    try:
        part = None if shard is None else Shard.parse(shard)
    except ValueError as exc:
        raise InputError("--shard", None, None, str(exc)) from None
    run = e.context(status=None if as_json else _status)
    outcome = run_scan(run, as_of=day, journey=journey, propose=propose, shard=part)
    pending = pending_actions(run)
    name = report_name(outcome.result.as_of, journey=journey, shard=part)
    report = e.workspace.reports_dir / name
    report.write_text(
        render_markdown(outcome.result, e.settings.metrics, pending), encoding="utf-8"
    )
    if as_json:
        sys.stdout.write(outcome.result.model_dump_json(indent=2) + "\n")
        return
    print_report(console, outcome.result, e.settings.metrics, pending)
    console.print(
        f"{outcome.series_tested} series tested · {len(outcome.result.breakdowns)} breakdowns · "
        f"{len(outcome.result.incidents)} incidents "
        f"({len(outcome.result.suppressed)} suppressed by council feedback) · "
        f"{len(outcome.proposed)} new proposals ({len(outcome.existing)} already filed)"
    )
    if outcome.llm_usage is not None:
        u = outcome.llm_usage
        console.print(
            f"Model usage: {u.calls} calls, {u.prompt_tokens:,} prompt + "
            f"{u.completion_tokens:,} completion tokens"
        )
    console.print(terminal_text(f"Report written to {report}"))


def _status(message: str) -> None:
    err_console.print(terminal_text(message, style="dim"), highlight=False)


def main() -> None:
    """Run the CLI: every error becomes one line and exit code 2, unless `--debug` is given."""
    try:
        app()
    except (ConfigError, InputError, LLMError, WarehouseBusyError) as exc:
        if _DEBUG[0]:
            raise
        err_console.print(error_line(exc), highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except Exception as exc:
        if _DEBUG[0]:
            raise
        _fail(f"{describe_failure(exc)} (run with --debug for the traceback)")


def _fail(message: str) -> NoReturn:
    err_console.print(error_line(RuntimeError(message)), highlight=False, soft_wrap=True)
    raise SystemExit(2) from None


if __name__ == "__main__":
    main()


# One-line descriptions of failures no command expects: locked or corrupted stores, full disks.

_LOCKED = re.compile(r"could not set lock|database is locked|conflicting lock", re.I)
_CORRUPT = re.compile(
    r"not a valid duckdb|file is not a database|database disk image is malformed|"
    r"corrupt|checksum|serializ|unable to open database|no such table",
    re.I,
)
_FULL = re.compile(r"disk is full|no space left", re.I)
_FILE = re.compile(r'(?:file|database) "?([^"\s]+\.(?:duckdb|sqlite3?|db))"?', re.I)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return seen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def describe_failure(exc: BaseException) -> str:
    """Return one line saying what failed and what to do about it."""
    chain = _chain(exc)
    deepest = chain[-1]
    message = " ".join(_first_line(e) for e in chain)
    where = _FILE.search(message)
    name = f" ({where.group(1)})" if where else ""
    if _LOCKED.search(message):
        return (
            f"a database{name} is locked by another process; retry when it finishes, "
            "or stop the process holding it"
        )
    if (isinstance(deepest, OSError) and deepest.errno == errno.ENOSPC) or _FULL.search(message):
        return f"no space left on the device{name}: free some space and retry"
    if _CORRUPT.search(message) and type(deepest).__module__.startswith(
        ("duckdb", "_duckdb", "sqlite3", "psycopg", "sqlalchemy")
    ):
        return (
            f"a database file{name} is corrupted or not a database: "
            f"{_first_line(deepest)[:200]}; restore it from a backup or point --home elsewhere"
        )
    if isinstance(deepest, OSError) and deepest.strerror:
        target = f": {deepest.filename}" if deepest.filename else ""
        return f"{deepest.strerror}{target}"
    return f"{type(deepest).__name__}: {_first_line(deepest)[:300]}"
