"""A seeded store (a council of quorum 2, one proposal), Slack settings, a fake Slack API."""

from __future__ import annotations

import datetime as dt
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
from store.web_auth import add_user
from tests.support.slack_api import FakeSlack
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


@pytest.fixture
def seeded(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    monkeypatch.setenv(settings.slack.signing_secret_env, SECRET)
    monkeypatch.setenv(settings.slack.bot_token_env, TOKEN)
    with FakeSlack() as fake:
        ctx = build_context(
            slack_settings(settings, fake),
            Workspace.resolve(tmp_path / "home"),
            with_insights=False,
        )
        ctx.clock = lambda: NOW
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
        filed = file_proposals(ctx, [seeded_breakdown()], as_of=dt.date(2026, 3, 31))
        yield Seeded(ctx=ctx, action_id=filed.proposed[0], slack=fake)
        ctx.warehouse.close()
