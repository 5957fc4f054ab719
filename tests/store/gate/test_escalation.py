"""A proposal waiting too long goes to the council above the one that should have decided."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from agent.cli.app import app
from agent.config import DEFAULT_CONFIG, load_settings
from store.audit import events_for
from store.db import migrate, session_factory
from store.gate.actions import escalate_overdue, get_action, revise_action
from store.gate.rules import DecisionRefused, decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from tests.support.store_fixtures import BACKENDS, fresh_engine, propose_fix

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
WAIT = dt.timedelta(days=3)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for e in fresh_engine(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")):
        migrate(e)
        yield e


def _council(*users: str) -> CouncilSpec:
    return CouncilSpec(quorum=1, members=[MemberSpec(user=u, role="council_member") for u in users])


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """company (ceo) > commerce (li) > checkout (no council: inherits commerce's)."""
    factory = session_factory(engine)
    with factory.begin() as s:
        save_journeys(
            s,
            specs=[
                JourneySpec(id="company", council=_council("ceo")),
                JourneySpec(id="commerce", parent="company", council=_council("li")),
                JourneySpec(id="checkout", parent="commerce"),
            ],
        )
        propose_fix(s, "act-1", now=NOW, expires_at=NOW + dt.timedelta(days=3650), value=1000.0)
    return factory


def _escalate(sessions: sessionmaker[Session], when: dt.datetime) -> list[tuple[str, str]]:
    with sessions.begin() as s:
        return escalate_overdue(s, now=when, after=WAIT)


def test_waiting_proposal_goes_to_the_parent_council_once_and_is_audited(
    sessions: sessionmaker[Session],
) -> None:
    assert _escalate(sessions, NOW + WAIT - dt.timedelta(minutes=1)) == []
    assert _escalate(sessions, NOW + WAIT) == [("act-1", "company")]
    # The council above "company" does not exist: it stays with the company council.
    assert _escalate(sessions, NOW + 3 * WAIT) == []
    with sessions() as s:
        action = get_action(s, action_id="act-1")
        assert action is not None and action.council_journey == "company"
        [event] = [e for e in events_for(s, subject="act-1") if e.kind == "action.escalated"]
        assert event.data["from_council"] == "commerce" and event.data["to_council"] == "company"
        assert event.data["waited_days"] == 3.0
    with sessions.begin() as s, pytest.raises(DecisionRefused, match="not a member"):
        decide(s, action_id="act-1", user="li", decision="approve", reason="ok", now=NOW)
    with sessions.begin() as s:
        outcome = decide(s, action_id="act-1", user="ceo", decision="approve", reason="ok", now=NOW)
    assert outcome.status == "approved"


def test_a_new_version_restarts_the_wait_and_decided_actions_never_escalate(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        when = NOW + dt.timedelta(days=2)
        revise_action(s, action_id="act-1", payload={"title": "Fix v2"}, by="li", now=when)
    assert _escalate(sessions, NOW + WAIT) == []
    with sessions.begin() as s:
        decide(s, action_id="act-1", user="li", decision="reject", reason="no", now=NOW)
    assert _escalate(sessions, NOW + 10 * WAIT) == []


def test_cli_escalate_uses_the_configured_wait(tmp_path: Path, engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as s:
        save_journeys(
            s,
            specs=[
                JourneySpec(id="company", council=_council("ceo")),
                JourneySpec(id="checkout", parent="company", council=_council("li")),
            ],
        )
        propose_fix(
            s,
            "act-old",
            now=dt.datetime.now(dt.UTC) - dt.timedelta(days=4),
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
        )
    assert load_settings(DEFAULT_CONFIG).approval.escalate_after_days == 3
    config = tmp_path / "config.toml"
    url = engine.url.render_as_string(hide_password=False)
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        '[store]\n# Empty = the embedded SQLite file in the workspace (WAL mode).\nurl = ""',
        f"[store]\nurl = {json.dumps(url)}",
    )
    config.write_text(text, encoding="utf-8")
    args = ["--home", str(tmp_path / "home"), "--config", str(config), "actions", "escalate"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "escalated act-old to the council of company" in result.output
    assert "0 escalated" in CliRunner().invoke(app, args).output
