"""CLI: verify the audit chain, tell an action's whole story, and check fix outcomes."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.cli.env import env, parse_day
from agent.context import RunContext
from agent.reports.escape import terminal_text
from store.catalog import MetricDef
from tools.units import format_value

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
outcomes_app = typer.Typer(help="Whether dispatched fixes worked.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    head: Annotated[
        str | None,
        typer.Option(help="A head noted earlier as SEQ:HASH, to also catch a cut-off end."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Walk the whole audit chain; exit 1 naming the first event that was tampered with."""
    # Imported when the command runs, for start-up time.
    from store.audit import chain_head
    from store.gate.evidence import verify_store

    known: tuple[int, str] | None = None
    if head is not None:
        seq, sep, digest = head.partition(":")
        if not sep or not seq.isdigit() or len(digest) != 64:
            err_console.print("error: --head must be SEQ:HASH (64 hex characters)")
            raise typer.Exit(2)
        known = (int(seq), digest)
    run = env(ctx).context(with_insights=False)
    warn_about_audit_key(run)
    with run.sessions() as session:
        result = verify_store(session, known_head=known)
        last_seq, last_hash = chain_head(session)
    chain = result.chain
    if as_json:
        body = {
            **chain.model_dump(),
            "ok": result.ok,
            "unvouched": result.unvouched,
            "unvouched_total": result.unvouched_total,
            "head": {"seq": last_seq, "hash": last_hash},
        }
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    elif result.ok:
        console.print(
            f"audit chain intact: {chain.events} events · head {last_seq}:{last_hash} · "
            f"{'keyed' if chain.keyed else 'UNKEYED'} · "
            f"{'anchored' if chain.anchored else 'no anchor'}",
            highlight=False,
        )
    if not chain.ok and not as_json:
        err_console.print(
            f"[bold red]audit chain TAMPERED[/bold red] at event {chain.first_bad_seq}: "
            f"{chain.problem} ({chain.events} events read)",
            highlight=False,
        )
    if result.unvouched_total and not as_json:
        err_console.print(
            f"[bold red]{result.unvouched_total} row(s) not vouched for by the audit chain"
            "[/bold red] (forged or changed):",
            highlight=False,
        )
        for line in result.unvouched:
            err_console.print(f"  {line}", highlight=False)
    if not result.ok:
        raise typer.Exit(1)


def warn_about_audit_key(run: RunContext) -> None:
    """Warn on stderr when the audit key is the workspace file, not the environment."""
    security = run.settings.security
    if not os.environ.get(security.audit_key_env):
        err_console.print(
            f"warning: ${security.audit_key_env} is unset; the audit key is the file "
            f"{run.workspace.audit_key_path}, so anyone who can read the workspace can forge "
            "audit events (see docs/security.md)",
            highlight=False,
        )


@audit_app.command("show")
def audit_show(
    ctx: typer.Context,
    action_id: Annotated[str, typer.Argument(help="Action id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the story as JSON.")] = False,
) -> None:
    """Tell an action's whole story: proposal, decisions, deliveries, responses, outcome."""
    # Imported when the command runs, for start-up time.
    from store.audit import action_story

    run = env(ctx).context(with_insights=False)
    with run.sessions() as session:
        story = action_story(session, action_id=action_id)
    if story is None:
        err_console.print(terminal_text(f"error: no action {action_id!r}"))
        raise typer.Exit(2)
    if as_json:
        sys.stdout.write(story.model_dump_json(indent=2) + "\n")
        return
    a = story.action
    console.print(
        terminal_text(
            f"{a['id']} v{a['version']} · {a['status']} · {a['journey_id']} · {a['title']}"
        )
    )
    table = Table(title=terminal_text(f"Audit trail of {action_id}"))
    table.add_column("seq", no_wrap=True)
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("who", overflow="fold")
    table.add_column("event", no_wrap=True)
    table.add_column("details", overflow="fold", ratio=1)
    for e in story.events:
        table.add_row(
            str(e.seq),
            f"{e.ts:%Y-%m-%d %H:%M:%S}",
            terminal_text(e.actor),
            terminal_text(e.kind),
            terminal_text(_details(e.data)),
        )
    console.print(table)
    verdict = story.outcome["verdict"] if story.outcome else "not checked yet"
    console.print(terminal_text(f"outcome: {verdict}"))


def _value(metric: MetricDef | None, value: float) -> str:
    return format_value(metric, value) if metric is not None else f"{value:,.2f}"


def _details(data: dict[str, object]) -> str:
    keys = ("reason", "status", "status_code", "response_excerpt", "error", "verdict")
    parts = [f"{k}={data[k]}" for k in keys if data.get(k) not in (None, "")]
    return " · ".join(parts) or json.dumps(data, sort_keys=True, default=str)[:120]


@outcomes_app.command("check")
def outcomes_check(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Check as of this day (default: newest data).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Re-measure dispatched fixes whose evaluation window has passed; record the verdict."""
    # Imported when the command runs, for start-up time.
    from agent.actions.outcome_check import check_outcomes

    run = env(ctx).context(with_insights=False)
    day = parse_day("--as-of", as_of)
    results = check_outcomes(run, as_of=day)
    if as_json:
        sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in results], indent=2) + "\n")
        return
    if not results:
        console.print("no dispatched action has finished its evaluation window with data yet")
        return
    table = Table(title="Outcomes")
    for col in ("action", "playbook", "verdict", "segment before → during → after", "rest"):
        table.add_column(col)
    for r in results:
        n = r.numbers
        metric = run.settings.metrics.get(r.metric)
        table.add_row(
            terminal_text(r.action_id),
            terminal_text(r.playbook),
            terminal_text(r.verdict),
            " → ".join(
                _value(metric, v) for v in (n.segment_baseline, n.segment_during, n.segment_after)
            ),
            f"{_value(metric, n.rest_baseline)} → {_value(metric, n.rest_after)}",
        )
    console.print(table)
    console.print(f"{len(results)} outcome(s) recorded")
