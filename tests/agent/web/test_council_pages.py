"""Council pages: incident columns, "needs my decision", rights from the gate, confirmation.

The seeded workspace has `checkout` (li sits on its council) with one proposal; this module
adds `billing`, whose council is sam alone, with a proposal carrying an alternative fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.actions.proposals import file_proposals
from agent.config import Settings
from agent.context import RunContext
from store.findings import Recommendation
from store.incidents import list_feedback
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from tests.support.web import (
    app_for,
    confirm_in,
    csrf_in,
    seeded_breakdown,
    seeded_context,
    sign_in,
    tokens_for,
)


@pytest.fixture
def seeded(settings: Settings, tmp_path: Path) -> Iterator[tuple[RunContext, str, str]]:
    ctx, checkout_action = seeded_context(settings, tmp_path / "home")
    council = CouncilSpec(quorum=1, members=[MemberSpec(user="sam", role="council_member")])
    with ctx.sessions.begin() as session:
        save_journeys(
            session,
            specs=[JourneySpec(id="billing", stages=["resolution"], council=council)],
        )
    bd = seeded_breakdown()
    other = Recommendation(
        rank=2,
        title="Open a journey review with the stage owner",
        playbook="journey_review",
        expected_value_per_week=9000.0,
        effort="L",
    )
    bd = bd.model_copy(
        update={
            "id": "bd-billing",
            "journey": "billing",
            "stage": "resolution",
            "recommendations": [*bd.recommendations, other],
        }
    )
    billing_action = file_proposals(ctx, [bd], as_of=dt.date(2026, 3, 31)).proposed[0]
    yield ctx, checkout_action, billing_action
    ctx.warehouse.close()


def _client(ctx: RunContext, role: str = "council_member") -> TestClient:
    client = TestClient(app_for(ctx))
    sign_in(client, tokens_for(ctx)[role])
    return client


def test_inbox_shows_incident_columns_and_by_default_only_what_needs_my_decision(
    seeded: tuple[RunContext, str, str],
) -> None:
    ctx, checkout_action, billing_action = seeded
    client = _client(ctx)
    mine = client.get("/approvals").text
    assert checkout_action in mine and billing_action not in mine
    for header in ("Stage(s)", "Metric(s)", "Segment", "Kind", "Verdict", "Money / week"):
        assert f"<th>{header}</th>" in mine
    assert "<td>payment</td>" in mine and "<td>conversion</td>" in mine
    assert "app_version=5.2 &amp; channel=app" in mine and "segment got worse" in mine
    everything = client.get("/approvals?show=all").text
    assert checkout_action in everything and billing_action in everything


def test_no_decide_controls_on_another_councils_action(
    seeded: tuple[RunContext, str, str],
) -> None:
    ctx, _, billing_action = seeded
    page = _client(ctx).get(f"/actions/{billing_action}").text
    assert 'id="decide"' not in page and 'id="approve"' not in page
    assert "li is not a member of the council of journey billing" in page


def test_deciding_shows_a_confirmation_and_removes_the_controls(
    seeded: tuple[RunContext, str, str],
) -> None:
    ctx, checkout_action, _ = seeded
    client = _client(ctx)
    page = client.get(f"/actions/{checkout_action}").text
    assert 'id="approve"' in page
    reply = client.post(
        f"/actions/{checkout_action}/decide",
        data={
            "csrf": csrf_in(page),
            "confirm": confirm_in(page),
            "decision": "reject",
            "reason": "segment too small",
        },
    )
    assert reply.status_code == 200
    assert "Your decision was recorded: you rejected" in reply.text
    assert "Status is now rejected" in reply.text
    assert 'id="decide"' not in reply.text


def test_the_action_page_lists_the_incidents_other_fixes_as_alternatives(
    seeded: tuple[RunContext, str, str],
) -> None:
    ctx, _, billing_action = seeded
    page = _client(ctx).get(f"/actions/{billing_action}").text
    alternatives = page.split('id="alternatives"')[1].split("</table>")[0]
    assert "Open a journey review with the stage owner" in alternatives
    assert "Roll back or hotfix" not in alternatives


def test_a_council_member_dismisses_the_incident_from_the_action_page(
    seeded: tuple[RunContext, str, str],
) -> None:
    ctx, checkout_action, billing_action = seeded
    client = _client(ctx)
    assert 'id="incident-feedback"' not in client.get(f"/actions/{billing_action}").text
    page = client.get(f"/actions/{checkout_action}").text
    form = page.split('id="incident-feedback"')[0].rsplit("<form", 1)[1]
    target = form.split('action="')[1].split('"')[0]
    reply = client.post(
        target,
        data={
            "csrf": csrf_in(page),
            "action": checkout_action,
            "feedback": "false_alarm",
            "reason": "test traffic from the load test",
        },
    )
    assert reply.status_code == 200 and 'id="silenced"' in reply.text
    assert "dismissed (false_alarm)" in reply.text
    with ctx.sessions() as session:
        [given] = list_feedback(session)
        assert (given.by, given.feedback, given.journey) == ("li", "false_alarm", "checkout")
    audit = client.get("/audit").text
    assert "incident.dismissed" in audit
