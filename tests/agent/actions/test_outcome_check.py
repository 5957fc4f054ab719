"""Outcome check on a real DuckDB warehouse: recovered vs not, the control, track records."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from agent.actions.dispatch import Dispatcher
from agent.actions.outcome_check import check_outcomes
from agent.config import Settings
from agent.context import RunContext
from agent.workspace import Workspace
from store.audit import events_for, verify_chain
from store.findings import Breakdown, Cause, Impact, Window
from store.gate.actions import get_action, propose_action
from store.gate.outcomes import record_outcome, track_record
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.warehouse import Warehouse
from tests.support.receiver import Receiver
from tests.support.store_fixtures import BACKENDS, store_sessions
from tools.recommend import rank_fixes
from tools.workflows import RetryPolicy, WorkflowTarget

PROPOSED = dt.datetime(2026, 3, 31, 18, 0, tzinfo=dt.UTC)
DELIVERED = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)
WINDOW = (dt.date(2026, 3, 25), dt.date(2026, 3, 31))
FIRST_DAY, LAST_DAY = dt.date(2026, 2, 25), dt.date(2026, 4, 8)
VISITS = 40


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    for factory in store_sessions(request.param, tmp_path, url):
        with factory.begin() as s:
            council = CouncilSpec(quorum=1, members=[MemberSpec(user="li", role="council_member")])
            save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
        yield factory


def _warehouse(tmp_path: Path, *, app_after: float, web_after: float) -> Warehouse:
    """Payment conversion per day: app breaks in the window; both may move afterwards."""
    lines = ["ts,journey,stage,customer_id,completed,channel"]
    day = FIRST_DAY
    while day <= LAST_DAY:
        after = day > DELIVERED.date()
        during = WINDOW[0] <= day <= DELIVERED.date()
        rates = {
            "app": app_after if after else 0.5 if during else 0.8,
            "web": web_after if after else 0.8,
        }
        for channel, rate in rates.items():
            for n in range(VISITS):
                done = int(n < round(rate * VISITS))
                lines.append(f"{day}T10:{n:02d}:00Z,checkout,payment,{channel}{n},{done},{channel}")
        day += dt.timedelta(days=1)
    csv = tmp_path / "events.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    wh = Warehouse.open(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    wh.ingest_events(csv)
    return wh


def _dispatched_action(sessions: sessionmaker[Session], settings: Settings) -> None:
    payload = {
        "action_id": "act-1",
        "journey": "checkout",
        "stage": "payment",
        "metric": "conversion",
        "window": {"start": WINDOW[0].isoformat(), "end": WINDOW[1].isoformat()},
        "segment": {"channel": "app"},
        "playbook": "fix_payment_path",
        "title": "Add a fallback payment method for the app",
    }
    with sessions.begin() as s:
        propose_action(
            s,
            action_id="act-1",
            breakdown_id=None,
            journey_id="checkout",
            playbook="fix_payment_path",
            title=str(payload["title"]),
            workflow="engineering",
            payload=payload,
            expected_value_per_week=1000.0,
            proposed_by="journeyops-agent",
            expires_at=PROPOSED + dt.timedelta(days=14),
            now=PROPOSED,
        )
    with sessions.begin() as s:
        decide(s, action_id="act-1", user="li", decision="approve", reason="ok", now=PROPOSED)
    with Receiver() as rx:
        target = WorkflowTarget(kind="webhook", url=rx.url("/hook"), secret_env="HOOK_SECRET")
        report = Dispatcher(
            sessions=sessions,
            targets={"engineering": target},
            clock=lambda: DELIVERED,
            policy=RetryPolicy(attempts=1, timeout_s=2.0),
            environ={"HOOK_SECRET": "s"},
        ).run_once()
    assert report.delivered == ["act-1"]


def _run(
    settings: Settings, wh: Warehouse, sessions: sessionmaker[Session], tmp: Path
) -> RunContext:
    return RunContext(
        settings=settings,
        workspace=Workspace(tmp),
        warehouse=wh,
        sessions=sessions,
        clock=lambda: dt.datetime(2026, 4, 9, 8, 0, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("app_after", "web_after", "verdict", "share"),
    [
        (0.775, 0.8, "recovered", 0.917),  # the app segment is back near its baseline
        (0.525, 0.8, "not_recovered", 0.083),  # still broken
        (0.7, 0.9, "not_recovered", 0.333),  # rose, but only as much as everyone did
    ],
)
def test_outcome_is_judged_against_baseline_and_the_rest_of_the_stage(
    sessions: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
    app_after: float,
    web_after: float,
    verdict: str,
    share: float,
) -> None:
    _dispatched_action(sessions, settings)
    with _warehouse(tmp_path, app_after=app_after, web_after=web_after) as wh:
        run = _run(settings, wh, sessions, tmp_path)
        assert check_outcomes(run, as_of=dt.date(2026, 4, 7)) == []  # window not over yet
        [result] = check_outcomes(run, as_of=LAST_DAY)
        assert check_outcomes(run, as_of=LAST_DAY) == []  # recorded once
    n = result.numbers
    assert result.verdict == verdict and result.segment == {"channel": "app"}
    assert (result.window_start, result.window_end) == (dt.date(2026, 4, 2), LAST_DAY)
    assert (n.segment_baseline, n.segment_during) == (0.8, 0.5)
    assert n.segment_after == pytest.approx(app_after)
    assert n.rest_baseline == 0.8 and n.rest_after == pytest.approx(web_after)
    assert n.recovered_share == pytest.approx(share, abs=1e-3)
    assert n.segment_visits_after == 7 * VISITS
    with sessions() as s:
        action = get_action(s, action_id="act-1")
        assert action is not None and action.status == verdict
        last = events_for(s, subject="act-1")[-1]
        assert last.kind == f"outcome.{verdict}" and last.data["segment_after"] == n.segment_after
        assert verify_chain(s).ok
        won = int(verdict == "recovered")
        assert track_record(s) == {"fix_payment_path": (won, 1)}


def test_failed_outcomes_move_a_playbook_down_the_ranking(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as s:
        for n in range(3):
            propose_action(
                s,
                action_id=f"act-{n}",
                breakdown_id=None,
                journey_id="checkout",
                playbook="rollback_release",
                title="Roll back",
                workflow="engineering",
                payload={"n": n},
                expected_value_per_week=1.0,
                proposed_by="journeyops-agent",
                expires_at=PROPOSED,
                now=PROPOSED,
            )
            record_outcome(
                s,
                action_id=f"act-{n}",
                verdict="not_recovered",
                metric="conversion",
                window_start=WINDOW[0],
                window_end=WINDOW[1],
                numbers={"recovered_share": 0.0},
                now=PROPOSED,
            )
    bd = Breakdown(
        id="bd-1",
        journey="checkout",
        stage="payment",
        metric="conversion",
        window=Window(start=WINDOW[0], end=WINDOW[1]),
        baseline=0.8,
        current=0.5,
        p_value=1e-9,
        severity="high",
        impact=Impact(currency="USD", per_week=10_000.0),
        causes=[
            Cause(
                segment={"channel": "app", "app_version": "5.2"},
                kind="rate_change",
                explained_share=0.8,
            )
        ],
    )
    with sessions() as s:
        record = track_record(s)
    assert record == {"rollback_release": (0, 3)}
    assert rank_fixes(bd, settings.playbooks)[0].playbook == "rollback_release"
    assert rank_fixes(bd, settings.playbooks, track_record=record)[0].playbook == "fix_payment_path"
