"""Editing a proposal files a new version that needs the council's approval again."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from agent.actions.dispatch import Dispatcher
from agent.cli.app import app
from agent.config import DEFAULT_CONFIG
from store.audit import events_for, verify_chain
from store.db import migrate, session_factory
from store.gate.actions import RevisionRefused, get_action, revise_action
from store.gate.outbox import outbox_for
from store.gate.rules import decide, payload_hash
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import ActionRow
from store.signin.tokens import add_user, create_token
from tests.support.receiver import Receiver
from tests.support.store_fixtures import BACKENDS, fresh_engine, propose_fix
from tools.workflows import RetryPolicy, WorkflowTarget

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
PAYLOAD: dict[str, object] = {"title": "Roll back SDK", "segment": {"app_version": "5.2"}}
SECRET = "s3cret"


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for e in fresh_engine(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")):
        migrate(e)
        yield e


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    factory = session_factory(engine)
    with factory.begin() as s:
        council = CouncilSpec(
            quorum=2,
            members=[
                MemberSpec(user="li", role="council_member"),
                MemberSpec(user="sam", role="council_member"),
                MemberSpec(user="ann", role="council_member"),
            ],
        )
        save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
        propose_fix(
            s,
            "act-1",
            now=NOW,
            payload=PAYLOAD,
            title="Roll back SDK",
            expires_at=NOW + dt.timedelta(days=3650),
            value=1000.0,
        )
    return factory


def _approve(sessions: sessionmaker[Session], user: str) -> str:
    with sessions.begin() as s:
        return decide(
            s, action_id="act-1", user=user, decision="approve", reason="ok", now=NOW
        ).status


def _revise(sessions: sessionmaker[Session], payload: dict[str, object], by: str = "li") -> int:
    with sessions.begin() as s:
        return revise_action(s, action_id="act-1", payload=payload, by=by, now=NOW).version


def test_edit_makes_a_new_version_whose_approval_starts_over_and_is_what_gets_sent(
    sessions: sessionmaker[Session],
) -> None:
    assert _approve(sessions, "sam") == "proposed"
    edited = {**PAYLOAD, "segment": {"app_version": "5.3"}}
    assert _revise(sessions, edited, by="li") == 2
    # sam's approval was bound to v1's hash; li edited v2 and cannot approve it.
    assert _approve(sessions, "ann") == "proposed"
    assert _approve(sessions, "sam") == "approved"
    with sessions() as s:
        action = get_action(s, action_id="act-1")
        assert action is not None
        assert (action.version, action.revised_by) == (2, "li")
        assert action.payload_sha256 == payload_hash(edited)
        [row] = outbox_for(s, action_id="act-1")
        assert (row.action_version, row.payload_sha256) == (2, payload_hash(edited))
        revised = [e for e in events_for(s, subject="act-1") if e.kind == "action.revised"]
        assert revised[0].data["previous_payload_sha256"] == payload_hash(PAYLOAD)
        assert revised[0].data["changed_keys"] == ["segment"]
        assert verify_chain(s).ok
    with Receiver(secret=SECRET) as rx:
        target = WorkflowTarget(kind="webhook", url=rx.url("/eng"), secret_env="S")
        Dispatcher(
            sessions=sessions,
            targets={"engineering": target},
            clock=lambda: NOW,
            policy=RetryPolicy(attempts=1, timeout_s=2.0),
            environ={"S": SECRET},
        ).run_once()
    assert rx.effects == {"act-1": 1}
    assert json.loads(rx.requests[0].body)["payload"]["segment"] == {"app_version": "5.3"}


@pytest.mark.parametrize(
    ("by", "payload", "why"),
    [
        ("mallory", {**PAYLOAD, "x": 1}, "not its proposer nor a decider"),
        ("li", PAYLOAD, "unchanged"),
    ],
)
def test_edit_by_an_outsider_or_without_change_is_refused(
    sessions: sessionmaker[Session], by: str, payload: dict[str, object], why: str
) -> None:
    with pytest.raises(RevisionRefused, match=why):
        _revise(sessions, payload, by=by)


def test_approved_payload_is_never_edited_but_a_blocked_one_gets_a_new_version(
    sessions: sessionmaker[Session],
) -> None:
    _approve(sessions, "li")
    assert _approve(sessions, "sam") == "approved"
    with pytest.raises(RevisionRefused, match="an approved payload is never changed"):
        _revise(sessions, {**PAYLOAD, "x": 1})
    # Someone with database access changes the approved payload: the claim refuses it...
    with sessions.begin() as s:
        s.execute(update(ActionRow).values(payload={**PAYLOAD, "x": "evil"}))
    from store.gate.outbox import claim_due

    with sessions.begin() as s:
        assert claim_due(s, now=NOW, lease=dt.timedelta(minutes=5)) == []
    # ...and the blocked action can only go on as a new version, approved again.
    assert _revise(sessions, {**PAYLOAD, "x": 2}, by="ann") == 2
    assert _approve(sessions, "li") == "proposed"
    assert _approve(sessions, "sam") == "approved"
    with sessions() as s:
        rows = outbox_for(s, action_id="act-1")
        assert [(r.action_version, r.status) for r in rows] == [(1, "refused"), (2, "pending")]


def test_cli_edit_sets_keys_and_reports_the_new_version(
    tmp_path: Path, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    config = tmp_path / "config.toml"
    url = engine.url.render_as_string(hide_password=False)
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        '[store]\n# Empty = the embedded SQLite file in the workspace (WAL mode).\nurl = ""',
        f"[store]\nurl = {json.dumps(url)}",
    )
    config.write_text(text, encoding="utf-8")
    base = ["--home", str(tmp_path / "home"), "--config", str(config), "actions"]
    with sessions.begin() as s:
        add_user(s, name="li", role="council_member", now=NOW)
        runner = CliRunner(env={"JOURNEYOPS_TOKEN": create_token(s, user="li", now=NOW)})
    edit = [*base, "edit", "act-1", "--set", "priority=2", "--set", "note=call ops", "--as", "li"]
    result = runner.invoke(app, edit)
    assert result.exit_code == 0, result.output
    assert "now v2" in result.output and "approval again" in result.output
    with sessions() as s:
        action = get_action(s, action_id="act-1")
        assert action is not None
        assert action.payload == {**PAYLOAD, "priority": 2, "note": "call ops"}
    result = runner.invoke(app, [*base, "edit", "act-1", "--set", "oops", "--as", "li"])
    assert result.exit_code == 1 and "expected key=value" in result.output
