"""CLI: list, show, edit and escalate actions, record decisions, redrive dead letters.

After every committed change the action's graph thread is resumed (`agent.actions.graph`):
SQL first, then the thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.cli.env import AsUser, TokenFile, env, who
from agent.context import RunContext
from agent.reports.escape import error_line, strip_control, terminal_text
from store.states import ActionStatus
from tools.units import format_count, format_percent

if TYPE_CHECKING:
    from store.gate.quorum import QuorumProgress

actions_app = typer.Typer(
    help="Proposed actions, council decisions and dead-letter redrive.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)


def pending_actions(run: RunContext) -> list[dict[str, object]]:
    """Return the actions waiting for a council decision, as plain rows."""
    # Imported when the command runs, for start-up time.
    from store.gate.actions import list_actions

    with run.sessions() as session:
        return [_row(a) for a in list_actions(session, status=ActionStatus.PROPOSED)]


def _row(a: object) -> dict[str, object]:
    keys = ("id", "journey_id", "playbook", "title", "status", "expected_value_per_week")
    return {k: getattr(a, k) for k in (*keys, "workflow")}


@actions_app.command("list")
def actions_list(
    ctx: typer.Context,
    status: Annotated[
        ActionStatus | None, typer.Option(help="Only actions in this status.")
    ] = None,
    journey: Annotated[str | None, typer.Option(help="Only actions of this journey.")] = None,
) -> None:
    """List actions with their status, quorum progress and expected value."""
    # Imported when the command runs, for start-up time.
    from store.errors import unknown_name
    from store.gate.records import action_summaries
    from store.journeys import list_journeys

    run = env(ctx).context(with_insights=False)
    if journey is not None:
        with run.sessions() as session:
            known = [j.id for j in list_journeys(session)]
        if journey not in known:
            raise unknown_name("--journey", "journey", journey, known)
    table = Table(title="Actions")
    table.add_column("action", no_wrap=True, min_width=16)
    for col in ("journey", "playbook", "value / week"):
        table.add_column(col)
    table.add_column("status", no_wrap=True, min_width=13)
    table.add_column("quorum", no_wrap=True)
    table.add_column("proposed by")
    with run.sessions() as session:
        for s in action_summaries(session, status=status, journey_id=journey):
            a = s.action
            table.add_row(
                terminal_text(a.id),
                terminal_text(a.journey_id),
                terminal_text(a.playbook),
                format_count(a.expected_value_per_week),
                terminal_text(a.status),
                f"{s.progress.approvals}/{s.progress.quorum}",
                terminal_text(a.proposed_by),
            )
    console.print(table)


@actions_app.command("show")
def actions_show(
    ctx: typer.Context, action_id: Annotated[str, typer.Argument(help="Action id.")]
) -> None:
    """Show an action: its exact payload, quorum, every decision, its deliveries and outcome."""
    # Imported when the command runs, for start-up time.
    from store.gate.records import action_record

    run = env(ctx).context(with_insights=False)
    with run.sessions() as session:
        record = action_record(session, action_id=action_id)
    if record is None:
        err_console.print(terminal_text(f"error: no action {action_id!r}"), highlight=False)
        raise typer.Exit(2)
    a, progress = record.action, record.progress
    console.print(
        terminal_text(a.id, style="bold")
        + terminal_text(f" v{a.version} · {a.status} · {a.journey_id} · {a.playbook}")
    )
    console.print(terminal_text(a.title))
    _say(f"workflow target: {a.workflow} · payload sha256 {a.payload_sha256[:16]}…")
    console.print(Text(strip_control(json.dumps(a.payload, indent=2, ensure_ascii=False))))
    console.print(terminal_text(_quorum_line(record.progress)))
    for d in record.decisions:
        _say(f"{d.decided_at:%Y-%m-%d %H:%M} {d.user_name} {d.decision}: {d.reason}")
    for o in record.deliveries:
        code = f" · HTTP {o.status_code}" if o.status_code is not None else ""
        error = f" · {o.last_error}" if o.last_error else ""
        _say(f"delivery to {o.target}: {o.status} after {o.runs} run(s){code}{error}")
    outcome = record.outcome
    if outcome is not None:
        share = outcome.numbers.get("recovered_share")
        shown = format_percent(share) if isinstance(share, int | float) else "n/a"
        _say(
            f"outcome {outcome.window_start}…{outcome.window_end}: {outcome.verdict} "
            f"({outcome.metric}, recovered share {shown})"
        )
    if a.status == ActionStatus.DEAD_LETTERED:
        _say(f"redrive with: journeyops actions redrive {a.id} --reason … (with your token)")
    if progress.nobody_can_decide:
        console.print("nobody can decide: the journey has no council with decision rights")


def _quorum_line(progress: QuorumProgress) -> str:
    approvers = f" ({', '.join(progress.approvers)})" if progress.approvers else ""
    line = (
        f"quorum: {progress.approvals} of {progress.quorum} approvals{approvers} · "
        f"deciders: {', '.join(progress.deciders) or 'none'}"
    )
    if progress.status == ActionStatus.PROPOSED:
        line += f" · may still approve: {', '.join(progress.may_approve) or 'nobody'}"
    return line


def _decide(
    ctx: typer.Context,
    action_id: str,
    user: str | None,
    token_file: Path | None,
    reason: str,
    decision: Literal["approve", "reject"],
) -> None:
    # Imported when the command runs, for start-up time.
    from agent.actions.decisions import decide_then_resume
    from store.gate.rules import DecisionRefused

    run = env(ctx).context(with_insights=False)
    user = who(run, as_user=user, token_file=token_file)
    try:
        outcome = decide_then_resume(
            run,
            action_id=action_id,
            user=user,
            decision=decision,
            reason=reason,
            warn=lambda m: err_console.print(terminal_text(m), highlight=False),
        )
    except DecisionRefused as exc:
        err_console.print(error_line(exc, "refused"), highlight=False)
        raise typer.Exit(1) from None
    _say(
        f"{decision} by {user} recorded on {action_id}: action is now {outcome.status} "
        f"({outcome.approvals} of {outcome.quorum} approvals)"
    )


def resume_or_warn(run: RunContext, action_ids: list[str]) -> None:
    """Resume the actions' graph threads after the commit; warn (never fail) if one cannot."""
    # Imported when the command runs, for start-up time.
    from agent.actions.graph import resume_after_commit

    resume_after_commit(
        run, action_ids, warn=lambda m: err_console.print(terminal_text(m), highlight=False)
    )


@actions_app.command("approve")
def actions_approve(
    ctx: typer.Context,
    action_id: Annotated[str, typer.Argument(help="Action id.")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the decision).")],
    user: AsUser = None,
    token_file: TokenFile = None,
) -> None:
    """Approve an action as a council member of its journey (with your token)."""
    _decide(ctx, action_id, user, token_file, reason, "approve")


@actions_app.command("reject")
def actions_reject(
    ctx: typer.Context,
    action_id: Annotated[str, typer.Argument(help="Action id.")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the decision).")],
    user: AsUser = None,
    token_file: TokenFile = None,
) -> None:
    """Reject an action as a council member of its journey (with your token)."""
    _decide(ctx, action_id, user, token_file, reason, "reject")


@actions_app.command("redrive")
def actions_redrive(
    ctx: typer.Context,
    action_id: Annotated[str, typer.Argument(help="Dead-lettered action id.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
    user: AsUser = None,
    token_file: TokenFile = None,
) -> None:
    """Re-queue a dead-lettered action for the dispatcher (the approval is re-checked)."""
    # Imported when the command runs, for start-up time.
    from store.gate.redrive import RedriveRefused, redrive

    run = env(ctx).context(with_insights=False)
    user = who(run, as_user=user, token_file=token_file)
    try:
        with run.sessions.begin() as session:
            redrive(session, action_id=action_id, user=user, reason=reason, now=run.clock())
    except RedriveRefused as exc:
        err_console.print(error_line(exc, "refused"), highlight=False)
        raise typer.Exit(1) from None
    _say(f"{action_id} re-queued by {user}; run `journeyops dispatch` to send it")
    resume_or_warn(run, [action_id])


@actions_app.command("edit")
def actions_edit(
    ctx: typer.Context,
    action_id: Annotated[str, typer.Argument(help="Waiting action id.")],
    changes: Annotated[
        list[str], typer.Option("--set", help="key=value (value as JSON, else text); repeat.")
    ],
    user: AsUser = None,
    token_file: TokenFile = None,
) -> None:
    """File an edited payload as a new version; earlier approvals no longer count."""
    # Imported when the command runs, for start-up time.
    from store.gate.actions import RevisionRefused, get_action, revise_action

    run = env(ctx).context(with_insights=False)
    user = who(run, as_user=user, token_file=token_file)
    try:
        with run.sessions.begin() as session:
            current = get_action(session, action_id=action_id)
            payload = dict(current.payload) if current is not None else {}
            for change in changes:
                key, sep, raw = change.partition("=")
                if not sep or not key.strip():
                    raise RevisionRefused(f"--set {change!r}: expected key=value")
                payload[key.strip()] = _value(raw)
            row = revise_action(
                session, action_id=action_id, payload=payload, by=user, now=run.clock()
            )
            version, digest = row.version, row.payload_sha256
    except RevisionRefused as exc:
        err_console.print(error_line(exc, "refused"), highlight=False)
        raise typer.Exit(1) from None
    _say(
        f"{action_id} is now v{version} (payload sha256 {digest[:16]}…); "
        "it needs the council's approval again"
    )
    resume_or_warn(run, [action_id])


def _say(line: str) -> None:
    console.print(terminal_text(line))


def _value(raw: str) -> object:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


@actions_app.command("escalate")
def actions_escalate(ctx: typer.Context) -> None:
    """Hand proposals waiting longer than [approval] escalate_after_days to the parent council."""
    # Imported when the command runs, for start-up time.
    import datetime as dt

    from store.gate.actions import escalate_overdue

    run = env(ctx).context(with_insights=False)
    after = dt.timedelta(days=run.settings.approval.escalate_after_days)
    with run.sessions.begin() as session:
        moved = escalate_overdue(session, now=run.clock(), after=after)
    for action_id, council in moved:
        console.print(terminal_text(f"escalated {action_id} to the council of {council}"))
    console.print(f"{len(moved)} escalated")
