"""Outcome check on the demo data: a planted recovery is `recovered`, a lasting one is not.

The demo business is generated with one incident (inc-1: app 5.2 payments fail) in the
week ending AS_OF. The scan of that week files the real recommendation, two members of
the checkout council approve it, the dispatcher delivers it to a local receiver the next
day, and after the playbook's evaluation window the outcome check re-measures the cause
segment. In one data set the incident ends the day the fix is delivered (planted
recovery); in the other it lasts to the end of the data (no recovery).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from agent.actions.dispatch import Dispatcher
from agent.actions.outcome_check import check_outcomes
from agent.config import Settings
from agent.context import RunContext
from agent.investigate.scan import run_scan
from agent.workspace import Workspace
from evals.demo import Incident, generate
from store.audit import events_for, verify_chain
from store.gate.actions import get_action, list_actions
from store.gate.outcomes import track_record
from store.gate.rules import decide
from store.journeys import list_journeys, save_journeys
from store.journeys.file import load_journeys_file
from store.models import OutcomeRow
from store.warehouse import Warehouse
from tests.support.receiver import Receiver
from tests.support.store_fixtures import BACKENDS, store_sessions
from tools.workflows import RetryPolicy, WorkflowTarget

# 70 days: the demo ramps app 5.2 up until 45 days before the end, so the four baseline
# weeks before the breakdown week (days 25-52) see a steady 5.2 share.
SEED, SCALE, DAYS = 11, 0.25, 70
END = dt.date(2026, 4, 10)  # last day of the data
AS_OF = END - dt.timedelta(days=10)  # last day of the breakdown week
PROPOSED = dt.datetime.combine(AS_OF, dt.time(18, 0), tzinfo=dt.UTC)
DELIVERED = dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time(12, 0), tzinfo=dt.UTC)
CHECKED = dt.datetime.combine(END + dt.timedelta(days=1), dt.time(6, 30), tzinfo=dt.UTC)
SEGMENT = {"channel": "app", "app_version": "5.2"}
MAGNITUDE = 0.38
DEPTH = ("checkout", "payment", "conversion")
COUNCIL = ("li", "sam")  # council members of checkout (quorum 2); maria owns the journey
SECRET = "demo-hook-secret"
# verdict -> last day of the planted incident
SCENARIOS = {"recovered": DELIVERED.date(), "not_recovered": END}


def _incident(end: dt.date) -> Incident:
    journey, stage, metric = DEPTH
    return Incident(
        id="inc-1",
        journey=journey,
        stage=stage,
        metric=metric,
        kind="rate_change",
        segment=SEGMENT,
        start=AS_OF - dt.timedelta(days=6),
        end=end,
        magnitude=MAGNITUDE,
    )


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generate each scenario's demo data once: verdict -> data folder."""
    folders: dict[str, Path] = {}
    for verdict, incident_end in SCENARIOS.items():
        out = tmp_path_factory.mktemp(f"demo-{verdict}")
        generate(
            out, seed=SEED, scale=SCALE, days=DAYS, end=END, incidents=[_incident(incident_end)]
        )
        folders[verdict] = out
    return folders


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    yield from store_sessions(request.param, tmp_path, url)


def _load(data: Path, sessions: sessionmaker[Session], tmp_path: Path) -> Warehouse:
    """`journeys load` then `ingest events`, as the CLI does them, into a fresh warehouse."""
    with sessions.begin() as s:
        save_journeys(s, specs=load_journeys_file(data / "journeys.toml"))
    with sessions() as s:
        known = {j.id: list(j.stages) for j in list_journeys(s) if j.declared}
    wh = Warehouse.open(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    report = wh.ingest_events(data / "events.parquet", known_stages=known)
    assert report.rows > 0 and not report.already_ingested
    return wh


def _context(
    settings: Settings,
    wh: Warehouse,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    at: dt.datetime,
) -> RunContext:
    return RunContext(
        settings=settings,
        workspace=Workspace(tmp_path),
        warehouse=wh,
        sessions=sessions,
        clock=lambda: at,
    )


@pytest.mark.parametrize("verdict", list(SCENARIOS))
def test_demo_fix_is_judged_by_whether_the_segment_recovered(
    verdict: str,
    demo_data: dict[str, Path],
    sessions: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
) -> None:
    with _load(demo_data[verdict], sessions, tmp_path) as wh:
        # The scan of the breakdown week finds inc-1 and files its recommendations.
        scan = run_scan(_context(settings, wh, sessions, tmp_path, PROPOSED), as_of=AS_OF)
        [bd] = [b for b in scan.result.breakdowns if (b.journey, b.stage, b.metric) == DEPTH]
        assert bd.causes and bd.causes[0].segment == SEGMENT
        assert bd.causes[0].kind == "rate_change"
        assert (bd.window.start, bd.window.end) == (AS_OF - dt.timedelta(days=6), AS_OF)
        rec = bd.recommendations[0]
        action_id = rec.action_id
        assert action_id is not None and action_id in scan.proposed
        playbook = settings.playbooks[rec.playbook]

        # The council approves the top recommendation (quorum 2); the agent proposed it.
        with sessions.begin() as s:
            first = decide(
                s,
                action_id=action_id,
                user=COUNCIL[0],
                decision="approve",
                reason="app 5.2 payments fail",
                now=PROPOSED,
            )
        with sessions.begin() as s:
            second = decide(
                s,
                action_id=action_id,
                user=COUNCIL[1],
                decision="approve",
                reason="agreed",
                now=PROPOSED,
            )
        assert (first.status, second.status) == ("proposed", "approved")
        assert second.approvals == second.quorum == 2

        # The dispatcher delivers it to the workflow target the next day.
        with Receiver(secret=SECRET) as rx:
            target = WorkflowTarget(
                kind="webhook", url=rx.url(f"/hooks/{playbook.workflow}"), secret_env="HOOK"
            )
            report = Dispatcher(
                sessions=sessions,
                targets={playbook.workflow: target},
                clock=lambda: DELIVERED,
                policy=RetryPolicy(attempts=1, timeout_s=2.0),
                environ={"HOOK": SECRET},
            ).run_once()
        assert report.delivered == [action_id]
        assert rx.effects == {action_id: 1}
        [request] = rx.requests
        assert request.signature_ok
        body = json.loads(request.body)
        assert (body["action_id"], body["target"]) == (action_id, playbook.workflow)
        assert body["payload"]["segment"] == SEGMENT
        assert body["payload"]["playbook"] == rec.playbook

        # The outcome check waits for the evaluation window, then judges once.
        run = _context(settings, wh, sessions, tmp_path, CHECKED)
        window_end = DELIVERED.date() + dt.timedelta(days=playbook.evaluation_days)
        assert window_end < END
        assert check_outcomes(run, as_of=window_end - dt.timedelta(days=1)) == []
        [result] = check_outcomes(run)  # as of the newest day of the data
        assert check_outcomes(run) == []

    n = result.numbers
    assert (result.action_id, result.playbook, result.metric) == (
        action_id,
        rec.playbook,
        "conversion",
    )
    assert result.verdict == verdict and result.segment == SEGMENT
    assert (result.window_start, result.window_end) == (
        DELIVERED.date() + dt.timedelta(days=1),
        window_end,
    )
    # The planted drop shows in the segment; the rest of the stage did not move.
    assert n.segment_during == pytest.approx(n.segment_baseline - MAGNITUDE, abs=0.06)
    assert n.rest_after == pytest.approx(n.rest_baseline, abs=0.03)
    assert n.segment_visits_after > 200
    if verdict == "recovered":
        assert n.segment_after == pytest.approx(n.segment_baseline, abs=0.05)
        assert n.recovered_share > 0.85
    else:
        assert n.segment_after == pytest.approx(n.segment_during, abs=0.05)
        assert n.recovered_share < 0.15

    with sessions() as s:
        action = get_action(s, action_id=action_id)
        assert action is not None and action.status == verdict
        others = [a.status for a in list_actions(s) if a.id != action_id]
        assert all(status == "proposed" for status in others)  # not approved: still waiting
        row = s.get(OutcomeRow, action_id)
        assert row is not None and (row.verdict, row.playbook) == (verdict, rec.playbook)
        assert (row.window_start, row.window_end) == (result.window_start, result.window_end)
        assert row.numbers == {"segment": SEGMENT, **n.model_dump()}
        kinds = [e.kind for e in events_for(s, subject=action_id)]
        assert kinds[0] == "action.proposed" and kinds[-1] == f"outcome.{verdict}"
        assert verify_chain(s).ok
        assert track_record(s) == {rec.playbook: (int(verdict == "recovered"), 1)}
