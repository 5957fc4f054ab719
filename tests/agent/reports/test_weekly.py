"""`journeyops report weekly`: the week's story per journey and the funding case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from agent.actions.dispatch import Dispatcher
from agent.actions.proposals import file_proposals
from agent.cli.app import app
from agent.config import Settings
from agent.reports.weekly import HORIZON_WEEKS, build_weekly
from agent.reports.weekly_files import render_markdown, write_weekly
from store.gate.actions import list_actions
from store.gate.outcomes import record_outcome
from store.gate.rules import decide
from tests.support.receiver import Receiver
from tests.support.web import INJECTED, NOW, USERS, seeded_breakdown, seeded_context
from tools.incidents import price_breakdown
from tools.workflows import RetryPolicy, WorkflowTarget


def test_funding_case_numbers_come_from_the_proposal_and_the_playbook(
    settings: Settings, tmp_path: Path
) -> None:
    ctx, action_id = seeded_context(settings, tmp_path / "home")
    checkout = next(w for w in build_weekly(ctx) if w.journey == "checkout")
    case = checkout.funding
    assert case is not None and case.action_id == action_id
    cost = settings.playbooks["rollback_release"].cost
    assert (case.at_stake_per_week, case.cost, case.expected_value_per_week) == (
        48200.0,
        cost,
        41000.0,
    )
    assert case.expected_return == 41000.0 * HORIZON_WEEKS
    assert case.roi == (41000.0 * HORIZON_WEEKS - cost) / cost
    assert case.quotes == [("ins-1", f"Payment failed {INJECTED}")]
    assert len(checkout.broke) == 1 and checkout.next and not checkout.decided

    written = write_weekly(ctx, as_of=None, out=tmp_path / "weekly")
    html = (tmp_path / "weekly" / "checkout.html").read_text(encoding="utf-8")
    md = (tmp_path / "weekly" / "checkout.md").read_text(encoding="utf-8")
    assert "Funding case" in html and "Funding case" in md
    assert "<script" not in html.lower() and "&lt;script&gt;" in html
    assert "<script>" not in md and "\\<script\\>" in md
    assert tmp_path / "weekly" / "index.html" in written
    ctx.warehouse.close()


def test_the_week_shows_decisions_deliveries_and_recoveries(
    settings: Settings, tmp_path: Path
) -> None:
    with Receiver(secret="s") as rx:
        targets = {"engineering": WorkflowTarget(kind="webhook", url=rx.url("/e"), secret_env="S")}
        ours = settings.model_copy(update={"workflows": {**settings.workflows, **targets}})
        ctx, action_id = seeded_context(ours, tmp_path / "home")
        with ctx.sessions.begin() as session:
            decide(
                session,
                action_id=action_id,
                user=USERS["council_member"],
                decision="approve",
                reason="evidence holds",
                now=NOW,
            )
        Dispatcher(
            sessions=ctx.sessions,
            targets=ours.workflows,
            clock=ctx.clock,
            policy=RetryPolicy(attempts=1, timeout_s=5),
            environ={"S": "s"},
        ).run_once()
    with ctx.sessions.begin() as session:
        record_outcome(
            session,
            action_id=action_id,
            verdict="recovered",
            metric="conversion",
            window_start=dt.date(2026, 4, 1),
            window_end=dt.date(2026, 4, 7),
            numbers={"recovered_share": 0.9},
            now=NOW,
        )
    week = next(w for w in build_weekly(ctx, as_of=NOW.date()) if w.journey == "checkout")
    assert week.decided == [
        f"li approved {action_id} (Roll back or hotfix the release used by the affected "
        "segment): evidence holds"
    ]
    assert week.dispatched == [
        f"{action_id} (Roll back or hotfix the release used by the affected segment) "
        "to engineering: delivered"
    ]
    assert week.recovered and "recovered share 90%" in week.recovered[0]
    assert week.funding is None and week.next == []
    later = build_weekly(ctx, as_of=NOW.date() + dt.timedelta(days=8))
    assert all(not w.decided and not w.broke for w in later)
    ctx.warehouse.close()


def test_cli_writes_the_reports(settings: Settings, tmp_path: Path) -> None:
    ctx, _ = seeded_context(settings, tmp_path / "home")
    ctx.warehouse.close()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "--home",
            str(tmp_path / "home"),
            "report",
            "weekly",
            "--as-of",
            "2026-04-01",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "checkout.md").exists() and (out / "checkout.html").exists()


def test_a_rejection_reads_rejected(settings: Settings, tmp_path: Path) -> None:
    ctx, action_id = seeded_context(settings, tmp_path / "home")
    with ctx.sessions.begin() as session:
        decide(
            session,
            action_id=action_id,
            user=USERS["council_member"],
            decision="reject",
            reason="not now",
            now=NOW,
        )
    week = next(w for w in build_weekly(ctx, as_of=NOW.date()) if w.journey == "checkout")
    assert week.decided and week.decided[0].startswith(f"li rejected {action_id} ")
    ctx.warehouse.close()


def test_a_tracking_gap_leads_as_an_incident_but_never_gets_a_funding_case(
    settings: Settings, tmp_path: Path
) -> None:
    ctx, _ = seeded_context(settings, tmp_path / "home")
    gap = seeded_breakdown()
    cause = gap.causes[0].model_copy(update={"kind": "tracking_gap", "segment": {"os": "x"}})
    fix = gap.recommendations[0].model_copy(
        update={"playbook": "fix_tracking", "title": "Repair tracking"}
    )
    gap = gap.model_copy(
        update={
            "id": "bd-gap",
            "stage": "confirmation",
            "causes": [cause],
            "recommendations": [fix],
        }
    )
    gap = price_breakdown(gap)
    file_proposals(ctx, [gap], as_of=dt.date(2026, 3, 31))
    with ctx.sessions.begin() as session:
        for a in list_actions(session):
            if a.playbook == "rollback_release":
                decide(
                    session,
                    action_id=a.id,
                    user=USERS["council_member"],
                    decision="reject",
                    reason="no",
                    now=NOW,
                )
    week = next(w for w in build_weekly(ctx, as_of=NOW.date()) if w.journey == "checkout")
    assert week.funding is None
    assert any("data quality" in i and "none (data owner" in i for i in week.incidents)
    md = render_markdown(week)
    assert md.index("## Incidents") < md.index("## What broke")
    ctx.warehouse.close()
