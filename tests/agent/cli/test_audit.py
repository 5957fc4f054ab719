"""CLI: dispatch, dead-letter and redrive, an action's audit story, and tamper detection."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, update
from typer.testing import CliRunner

from agent.cli.app import app
from agent.config import DEFAULT_CONFIG
from store.db import migrate, session_factory
from store.gate.actions import propose_action
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import AuditEvent, OutboxRow
from store.signin.tokens import add_user, create_token
from tests.support.receiver import Receiver
from tests.support.store_fixtures import (
    AUDIT_KEY,
    BACKENDS,
    KEYING,
    drop_append_only_guards,
    fresh_engine,
)

runner = CliRunner()
SECRET = "s3cret"
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from fresh_engine(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def _flat(text: str) -> str:
    return " ".join(text.split())


class Cli:
    """The CLI on one workspace whose store is `engine` and whose target is `rx`."""

    def __init__(self, tmp_path: Path, engine: Engine, rx: Receiver) -> None:
        self.home = tmp_path / "home"
        self.config = tmp_path / "config.toml"
        url = engine.url.render_as_string(hide_password=False)
        text = DEFAULT_CONFIG.read_text(encoding="utf-8")
        text = text.replace("http://127.0.0.1:8765/hooks/engineering", rx.url("/hooks/eng"))
        text = text.replace(
            '[store]\n# Empty = the embedded SQLite file in the workspace (WAL mode).\nurl = ""',
            f"[store]\nurl = {json.dumps(url)}",
        )
        self.config.write_text(text, encoding="utf-8")

    def __call__(self, *args: str, secret: str = SECRET, token: str = "") -> tuple[int, str]:
        env = {
            "JOURNEYOPS_WEBHOOK_SECRET": secret,
            "JOURNEYOPS_AUDIT_KEY": AUDIT_KEY,
            "JOURNEYOPS_TOKEN": token,
        }
        result = runner.invoke(
            app, ["--home", str(self.home), "--config", str(self.config), *args], env=env
        )
        return result.exit_code, result.output


def _approved_action(engine: Engine) -> str:
    """Approve act-1 (as li, whose sign-in token this returns)."""
    migrate(engine)
    sessions = session_factory(engine, audit=KEYING)
    with sessions.begin() as s:
        council = CouncilSpec(quorum=1, members=[MemberSpec(user="li", role="council_member")])
        save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
        propose_action(
            s,
            action_id="act-1",
            breakdown_id=None,
            journey_id="checkout",
            playbook="fix_payment_path",
            title="Add a fallback payment method",
            workflow="engineering",
            payload={"action_id": "act-1", "title": "Add a fallback payment method"},
            expected_value_per_week=1000.0,
            proposed_by="journeyops-agent",
            expires_at=NOW + dt.timedelta(days=14),
            now=NOW,
        )
    with sessions.begin() as s:
        decide(s, action_id="act-1", user="li", decision="approve", reason="clear", now=NOW)
        add_user(s, name="li", role="council_member", now=NOW)
        return create_token(s, user="li", now=NOW)


def test_dispatch_dead_letter_redrive_and_the_whole_story(tmp_path: Path, engine: Engine) -> None:
    li_token = _approved_action(engine)
    with Receiver(secret=SECRET) as rx:
        cli = Cli(tmp_path, engine, rx)
        code, out = cli("dispatch", secret="wrong")
        assert code == 1 and "dead-lettered act-1" in _flat(out)
        code, out = cli("actions", "list")
        assert code == 0 and "dead_lettered" in out
        code, out = cli("actions", "show", "act-1")
        assert "dead after 1 run(s) · HTTP 401" in _flat(out) and "actions redrive" in out
        code, out = cli("actions", "redrive", "act-1", "--reason", "secret fixed", token=li_token)
        assert code == 0 and "re-queued" in out
        code, out = cli("dispatch")
        assert code == 0 and "delivered act-1" in out
    assert rx.effects == {"act-1": 1}
    code, out = cli("audit", "show", "act-1", "--json")
    assert code == 0
    story = json.loads(out)
    assert [e["kind"] for e in story["events"]] == [
        "action.proposed",
        "decision.approve",
        "outbox.queued",
        "dispatch.attempt",
        "dispatch.dead_lettered",
        "dispatch.redriven",
        "dispatch.attempt",
        "dispatch.delivered",
    ]
    assert [e["data"].get("status_code") for e in story["events"][3:5]] == [401, 401]
    assert story["action"]["status"] == "dispatched" and story["outcome"] is None
    assert story["deliveries"][0]["status"] == "delivered"
    code, out = cli("audit", "show", "act-1")
    assert code == 0 and "dispatch.redriven" in out and "dispatch.delivered" in out
    code, out = cli("audit", "show", "act-404")
    assert code == 2


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        ("edit", "TAMPERED at event 2: event content does not match its hash"),
        ("delete", "TAMPERED at event 3: sequence gap: expected 2, found 3"),
    ],
)
def test_audit_verify_passes_then_catches_an_edited_or_deleted_event(
    tmp_path: Path, engine: Engine, mutation: str, message: str
) -> None:
    _approved_action(engine)
    with Receiver(secret=SECRET) as rx:
        cli = Cli(tmp_path, engine, rx)
        assert cli("dispatch")[0] == 0
    code, out = cli("audit", "verify")
    assert code == 0 and "audit chain intact: 7 events" in _flat(out)
    code, out = cli("audit", "verify", "--json")
    assert json.loads(out)["ok"] is True and json.loads(out)["head"]["seq"] == 7
    with session_factory(engine, audit=KEYING).begin() as s:
        drop_append_only_guards(s)
        if mutation == "edit":
            forged = {"reason": "forged", "status": "approved"}
            s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(data=forged))
        else:
            s.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    code, out = cli("audit", "verify")
    assert code == 1 and message in _flat(out)


def test_audit_verify_catches_a_cut_end_against_a_known_head(
    tmp_path: Path, engine: Engine
) -> None:
    _approved_action(engine)
    with Receiver(secret=SECRET) as rx:
        cli = Cli(tmp_path, engine, rx)
        head = json.loads(cli("audit", "verify", "--json")[1])["head"]
        with session_factory(engine, audit=KEYING).begin() as s:
            drop_append_only_guards(s)
            s.execute(delete(AuditEvent).where(AuditEvent.seq == head["seq"]))
        code, out = cli("audit", "verify", "--head", f"{head['seq']}:{head['hash']}")
    assert code == 1 and "truncated" in out
    assert cli("audit", "verify", "--head", "nonsense")[0] == 2


def test_outcomes_check_on_an_empty_warehouse_records_nothing(
    tmp_path: Path, engine: Engine
) -> None:
    _approved_action(engine)
    with Receiver(secret=SECRET) as rx:
        cli = Cli(tmp_path, engine, rx)
        code, out = cli("outcomes", "check", "--json")
    assert code == 0 and json.loads(out) == []


def test_audit_verify_names_an_outbox_row_switched_to_another_target(
    tmp_path: Path, engine: Engine
) -> None:
    _approved_action(engine)
    with Receiver(secret=SECRET) as rx:
        cli = Cli(tmp_path, engine, rx)
        with session_factory(engine).begin() as s:
            s.execute(update(OutboxRow).values(target="operations"))
        code, out = cli("dispatch")
        assert rx.requests == []
    assert code == 0 and "not sent act-1" in _flat(out) and "0 delivered" in _flat(out)
    code, out = cli("audit", "verify")
    assert code == 1
    assert "1 row(s) not vouched for by the audit chain" in _flat(out)
    assert "outbox row 1 (act-1 v1 to operations) has no authentic audit event" in _flat(out)


def test_audit_verify_catches_deleted_newest_events_through_the_anchor(
    tmp_path: Path, engine: Engine
) -> None:
    _approved_action(engine)
    with Receiver(secret=SECRET) as rx:
        cli = Cli(tmp_path, engine, rx)
        assert cli("dispatch")[0] == 0  # its commits move the anchor outside the store
    assert (tmp_path / "home" / "audit-head").exists()
    head = json.loads(cli("audit", "verify", "--json")[1])["head"]
    with session_factory(engine).begin() as s:
        drop_append_only_guards(s)
        s.execute(delete(AuditEvent).where(AuditEvent.seq >= head["seq"] - 1))
    code, out = cli("audit", "verify")
    assert code == 1
    assert f"anchor head event {head['seq']} is missing or changed (chain truncated)" in _flat(out)
