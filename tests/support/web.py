"""Council app test support: a small seeded workspace, users with tokens, signing in.

The seeded workspace has one journey with a council (quorum 1), one breakdown whose
customer quote and hypothesis carry an injected `<script>`, and one proposed action.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from agent.actions.proposals import file_proposals
from agent.config import Settings
from agent.context import RunContext, build_context
from agent.web import create_app
from agent.workspace import Workspace
from store.findings import (
    Breakdown,
    Cause,
    Evidence,
    Hypothesis,
    Impact,
    Quote,
    Recommendation,
    Window,
    breakdown_id,
)
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.signin.tokens import add_user, create_token

ROLES = ("viewer", "journey_owner", "council_member", "admin")
# One user per role; each is also on the council with the same role.
USERS = {"viewer": "vera", "journey_owner": "maria", "council_member": "li", "admin": "ops"}
INJECTED = "<script>alert('pwned')</script><img src=x onerror=alert(1)>"
NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


def seeded_breakdown() -> Breakdown:
    """Return a breakdown whose quote and hypothesis carry injected markup."""
    window = Window(start=dt.date(2026, 3, 25), end=dt.date(2026, 3, 31))
    return Breakdown(
        id=breakdown_id("checkout", "payment", "conversion", window),
        journey="checkout",
        stage="payment",
        metric="conversion",
        window=window,
        baseline=0.82,
        current=0.71,
        p_value=1e-9,
        severity="high",
        impact=Impact(currency="USD", per_week=48200.0),
        visits=5000,
        causes=[
            Cause(
                segment={"channel": "app", "app_version": "5.2"},
                kind="rate_change",
                explained_share=0.87,
                baseline=0.84,
                current=0.47,
                visits=731,
            )
        ],
        hypotheses=[
            Hypothesis(
                statement=f"Payment fails on app 5.2; customers say {INJECTED}",
                confidence=0.8,
                evidence=Evidence(facts=["conversion 82% -> 71%"], insight_ids=["ins-1"]),
            )
        ],
        recommendations=[
            Recommendation(
                rank=1,
                title="Roll back or hotfix the release used by the affected segment",
                playbook="rollback_release",
                expected_value_per_week=41000.0,
                effort="S",
            )
        ],
        quotes=[Quote(id="ins-1", text=f"Payment failed {INJECTED}", source="ticket")],
    )


def seeded_context(settings: Settings, home: Path) -> tuple[RunContext, str]:
    """Build a workspace with the council, the breakdown and its proposed action."""
    ctx = build_context(settings, Workspace.resolve(home), with_insights=False)
    ctx.clock = lambda: NOW
    council = CouncilSpec(
        quorum=1,
        members=[MemberSpec(user=name, role=role) for role, name in USERS.items()],
    )
    with ctx.sessions.begin() as session:
        save_journeys(
            session,
            specs=[JourneySpec(id="checkout", stages=["payment"], council=council)],
        )
    filed = file_proposals(ctx, [seeded_breakdown()], as_of=dt.date(2026, 3, 31))
    return ctx, filed.proposed[0]


def tokens_for(ctx: RunContext) -> dict[str, str]:
    """Add one user per role and return a sign-in token per role."""
    tokens = {}
    with ctx.sessions.begin() as session:
        for role, name in USERS.items():
            add_user(session, name=name, role=role, now=NOW)
            tokens[role] = create_token(session, user=name, now=NOW)
    return tokens


def app_for(ctx: RunContext) -> FastAPI:
    """Return the council app over a prepared context."""
    return create_app(lambda: ctx)


def csrf_in(html: str) -> str:
    """Return the first CSRF token of a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "page has no CSRF field"
    return found.group(1)


def confirm_in(html: str) -> str:
    """Return the decision confirmation token of an action page."""
    found = re.search(r'name="confirm" value="([^"]+)"', html)
    assert found is not None, "page has no decision form"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> str:
    """Sign in through the form; return the session's CSRF token."""
    page = client.get("/login")
    reply = client.post(
        "/login", data={"csrf": csrf_in(page.text), "token": token}, follow_redirects=False
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/", reply.text
    return csrf_in(client.get("/").text)
