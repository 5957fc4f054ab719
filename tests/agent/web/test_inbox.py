"""The inbox, the action page and the API show the gate's own quorum progress.

Journey `checkout` needs two approvals from li, sam and maria; the agent proposed the fix
and sam filed its second version, so neither may approve it. Each test runs on a SQLite
store and on a PostgreSQL one.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.actions.graph import build_action_graph, thread_config, waiting_for
from agent.checkpoints import open_checkpointer
from agent.config import Settings
from agent.context import RunContext
from store.gate.actions import get_action, revise_action
from store.gate.quorum import progress_for
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import DecisionRow
from store.signin.tokens import add_user, create_token
from tests.support.run_context import run_context
from tests.support.store_fixtures import BACKENDS, propose_fix
from tests.support.web import app_for

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def ctx(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Iterator[RunContext]:
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    for run in run_context(request.param, settings, tmp_path, url, now=NOW):
        members = [
            MemberSpec(user="li", role="council_member"),
            MemberSpec(user="sam", role="council_member"),
            MemberSpec(user="maria", role="journey_owner"),
        ]
        with run.sessions.begin() as s:
            council = CouncilSpec(quorum=2, members=members)
            save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
            propose_fix(s, "act-1", now=NOW, payload={"title": "Fix"})
        yield run


def _bearer(ctx: RunContext, user: str) -> dict[str, str]:
    with ctx.sessions.begin() as s:
        add_user(s, name=user, role="council_member", now=NOW)
        return {"Authorization": f"Bearer {create_token(s, user=user, now=NOW)}"}


def _revise_as_sam_with_a_row_the_gate_never_writes(ctx: RunContext) -> None:
    """Sam approves v1, files v2, and an approval of v2 by sam lands in SQL directly."""
    with ctx.sessions.begin() as s:
        decide(s, action_id="act-1", user="sam", decision="approve", reason="ok", now=NOW)
    with ctx.sessions.begin() as s:
        v2 = revise_action(s, action_id="act-1", payload={"title": "Fix v2"}, by="sam", now=NOW)
        # As an import or an older release could leave it: bound to the current hash.
        s.add(
            DecisionRow(
                action_id="act-1",
                action_version=v2.version,
                payload_sha256=v2.payload_sha256,
                user_name="sam",
                decision="approve",
                reason="mine",
                decided_at=NOW,
            )
        )


def test_a_revisers_approval_counts_in_the_inbox_no_more_than_in_the_gate(
    ctx: RunContext,
) -> None:
    _revise_as_sam_with_a_row_the_gate_never_writes(ctx)
    client, auth = TestClient(app_for(ctx)), _bearer(ctx, "li")
    assert [
        (a["id"], a["approvals"], a["quorum"])
        for a in client.get("/api/actions", headers=auth).json()
    ] == [("act-1", 0, 2)]
    assert "0 of 2" in client.get("/approvals", headers=auth).text
    minted = client.post("/api/actions/act-1/confirmation", headers=auth).json()
    body = {"decision": "approve", "reason": "holds", "confirmation": minted["confirmation"]}
    decided = client.post("/api/actions/act-1/decision", json=body, headers=auth).json()
    # The gate counted li alone; every page says what the gate said.
    assert (decided["status"], decided["approvals"], decided["quorum"]) == ("proposed", 1, 2)
    assert client.get("/api/actions/act-1", headers=auth).json()["approvals"] == 1
    # li has decided, so the default inbox (needs my decision) no longer lists it.
    assert "act-1" not in client.get("/approvals", headers=auth).text
    assert "1 of 2" in client.get("/approvals?show=all", headers=auth).text
    page = client.get("/actions/act-1", headers=auth).text
    assert "1 of 2 approvals" in page and "(li)" in page
    assert "<td>1 / 2</td>" in client.get("/actions", headers=auth).text
    with ctx.sessions() as s:
        action = get_action(s, action_id="act-1")
        assert action is not None
        assert progress_for(s, action=action).approvers == ["li"]


def test_a_web_decision_is_committed_then_resumes_the_actions_thread(ctx: RunContext) -> None:
    client = TestClient(app_for(ctx))
    waits = []
    for user in ("li", "sam"):
        auth = _bearer(ctx, user)
        minted = client.post("/api/actions/act-1/confirmation", headers=auth).json()
        body = {"decision": "approve", "reason": "ok", "confirmation": minted["confirmation"]}
        reply = client.post("/api/actions/act-1/decision", json=body, headers=auth)
        assert reply.status_code == 200, reply.text
        with open_checkpointer(ctx.settings, ctx.workspace) as saver:
            graph = build_action_graph(saver)
            status = graph.get_state(thread_config("act-1")).values["status"]
            waits.append((status, waiting_for(graph, action_id="act-1")))
    assert waits == [("proposed", "council"), ("approved", "delivery")]
