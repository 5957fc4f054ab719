"""A seeded store (a council of quorum 2, one proposal) on each backend, and a fake Slack API."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.actions.proposals import file_proposals
from agent.config import Settings
from agent.context import RunContext, build_context
from agent.workspace import Workspace
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.signin.tokens import add_user
from tests.support.slack_api import FakeSlack
from tests.support.store_fixtures import BACKENDS, store_sessions
from tests.support.web import NOW, seeded_breakdown

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"
# Slack user id -> journeyops user; U4 is a viewer, who has no decision right.
SLACK_USERS = {"U1": "li", "U2": "ops", "U3": "maria", "U4": "vera"}
CHANNEL = "C-CHECKOUT"


@dataclass
class Seeded:
    ctx: RunContext
    action_id: str
    slack: FakeSlack


def slack_settings(settings: Settings, fake: FakeSlack) -> Settings:
    slack = settings.slack.model_copy(
        update={"users": SLACK_USERS, "channels": {"checkout": CHANNEL}, "api_url": fake.url}
    )
    return settings.model_copy(update={"slack": slack})


@pytest.fixture(params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Seeded]:
    """The seeded store on SQLite and (when configured) PostgreSQL, with Slack pointed at a fake."""
    monkeypatch.setenv(settings.slack.signing_secret_env, SECRET)
    monkeypatch.setenv(settings.slack.bot_token_env, TOKEN)
    pg_url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    for sessions in store_sessions(request.param, tmp_path, pg_url):
        with FakeSlack() as fake:
            ctx = build_context(
                slack_settings(settings, fake),
                Workspace.resolve(tmp_path / "home"),
                with_insights=False,
            )
            ctx.sessions = sessions
            ctx.clock = lambda: NOW
            yield Seeded(ctx=ctx, action_id=_seed(ctx), slack=fake)
            ctx.warehouse.close()


def _seed(ctx: RunContext) -> str:
    council = CouncilSpec(
        quorum=2,
        members=[
            MemberSpec(user="li", role="council_member"),
            MemberSpec(user="ops", role="admin"),
            MemberSpec(user="maria", role="journey_owner"),
            MemberSpec(user="vera", role="viewer"),
        ],
    )
    with ctx.sessions.begin() as session:
        save_journeys(
            session, specs=[JourneySpec(id="checkout", stages=["payment"], council=council)]
        )
        for member in council.members:
            add_user(session, name=member.user, role=member.role, now=NOW)
    return file_proposals(ctx, [seeded_breakdown()], as_of=dt.date(2026, 3, 31)).proposed[0]
