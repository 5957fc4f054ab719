"""The gate's caller: a decision is committed in SQL first, then the action's thread resumes.

Journey `checkout` needs two approvals (li, sam); the agent proposed `act-1`. Each test
runs on a SQLite store and on a PostgreSQL one, each with its checkpointer beside it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.actions.decisions import decide_then_resume
from agent.actions.graph import build_action_graph, thread_config, waiting_for
from agent.checkpoints import open_checkpointer
from agent.config import Settings
from agent.context import RunContext
from store.gate.actions import get_action
from store.gate.records import count_decisions
from store.gate.rules import DecisionRefused
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from tests.support.run_context import run_context
from tests.support.store_fixtures import BACKENDS, propose_fix

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def run(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Iterator[RunContext]:
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    for ctx in run_context(request.param, settings, tmp_path, url, now=NOW):
        members = [MemberSpec(user=u, role="council_member") for u in ("li", "sam")]
        with ctx.sessions.begin() as s:
            council = CouncilSpec(quorum=2, members=members)
            save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
            propose_fix(s, "act-1", now=NOW)
        yield ctx


def _thread(run: RunContext) -> tuple[str | None, str | None]:
    """Return the status the thread last read and what it waits for (None: no thread)."""
    with open_checkpointer(run.settings, run.workspace) as saver:
        graph = build_action_graph(saver)
        values = graph.get_state(thread_config("act-1")).values
        return values.get("status"), waiting_for(graph, action_id="act-1")


def test_each_decision_is_committed_then_the_thread_follows_it(run: RunContext) -> None:
    first = decide_then_resume(run, action_id="act-1", user="li", decision="approve", reason="ok")
    assert (first.status, first.approvals, first.quorum) == ("proposed", 1, 2)
    assert _thread(run) == ("proposed", "council")
    second = decide_then_resume(run, action_id="act-1", user="sam", decision="approve", reason="ok")
    assert (second.status, second.approvals) == ("approved", 2)
    assert _thread(run) == ("approved", "delivery")


def test_a_refused_decision_records_nothing_and_starts_no_thread(run: RunContext) -> None:
    for user, reason, why in (("mallory", "ok", "not a member"), ("li", " ", "needs a reason")):
        with pytest.raises(DecisionRefused, match=why):
            decide_then_resume(run, action_id="act-1", user=user, decision="approve", reason=reason)
    with run.sessions() as s:
        assert count_decisions(s) == 0
    assert _thread(run) == (None, None)


def test_a_thread_that_cannot_resume_is_reported_and_the_decision_stands(
    run: RunContext,
) -> None:
    # The checkpointer lives beside the store; point it at a closed local port.
    broken = run.settings.store.model_copy(update={"url": "postgresql://nobody@127.0.0.1:1/x"})
    run.settings = run.settings.model_copy(update={"store": broken})
    warnings: list[str] = []
    outcome = decide_then_resume(
        run, action_id="act-1", user="li", decision="reject", reason="no", warn=warnings.append
    )
    assert outcome.status == "rejected"
    assert len(warnings) == 1 and warnings[0].startswith("warning: action thread not resumed")
    with run.sessions() as s:
        action = get_action(s, action_id="act-1")
        assert action is not None and action.status == "rejected"
