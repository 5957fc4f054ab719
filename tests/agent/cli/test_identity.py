"""CLI decisions carry the decider's credentials: a bare `--as` decides nothing.

Each test runs the real CLI on a SQLite store and on a PostgreSQL one, with a council of
sam and maria that needs both of them (quorum 2).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from agent.cli.app import app
from agent.config import DEFAULT_CONFIG, load_settings
from store.db import migrate, session_factory
from store.gate.records import action_record
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.signin.tokens import add_user, create_token, revoke_tokens
from tests.support.store_fixtures import BACKENDS, fresh_engine, propose_fix

NOW = dt.datetime.now(dt.UTC)
runner = CliRunner()


@dataclass
class Shell:
    """The CLI on one workspace, with the users' tokens and the store to check."""

    tmp_path: Path
    config: Path
    sessions: sessionmaker[Session]
    tokens: dict[str, str]

    def __call__(self, *args: str, token: str = "") -> tuple[int, str]:
        result = runner.invoke(
            app,
            ["--home", str(self.tmp_path / "home"), "--config", str(self.config), *args],
            env={"JOURNEYOPS_TOKEN": token},
        )
        return result.exit_code, " ".join(result.output.split())

    def approvers(self) -> list[str]:
        with self.sessions() as s:
            record = action_record(s, action_id="act-1")
        assert record is not None
        return record.progress.approvers

    def single_operator(self) -> None:
        text = self.config.read_text(encoding="utf-8")
        on = text.replace("single_operator = false", "single_operator = true", 1)
        assert on != text
        self.config.write_text(on, encoding="utf-8")


@pytest.fixture(params=BACKENDS)
def shell(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shell]:
    for engine in fresh_engine(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")):
        yield _shell(tmp_path, engine)


def _shell(tmp_path: Path, engine: Engine) -> Shell:
    migrate(engine)
    sessions = session_factory(engine)
    tokens: dict[str, str] = {}
    with sessions.begin() as s:
        members = [MemberSpec(user=u, role="council_member") for u in ("sam", "maria")]
        council = CouncilSpec(quorum=2, members=members)
        save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
        propose_fix(s, "act-1", now=NOW)
        for user in ("sam", "maria"):
            add_user(s, name=user, role="council_member", now=NOW)
            tokens[user] = create_token(s, user=user, now=NOW)
    config = tmp_path / "config.toml"
    url = engine.url.render_as_string(hide_password=False)
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        '[store]\n# Empty = the embedded SQLite file in the workspace (WAL mode).\nurl = ""',
        f"[store]\nurl = {json.dumps(url)}",
    )
    config.write_text(text, encoding="utf-8")
    return Shell(tmp_path, config, sessions, tokens)


def test_a_bare_as_decides_nothing(shell: Shell) -> None:
    code, out = shell("actions", "approve", "act-1", "--as", "sam", "--reason", "ok")
    assert code == 2
    assert "deciding needs your credentials: set $JOURNEYOPS_TOKEN" in out
    assert shell.approvers() == []


def test_one_shell_user_cannot_meet_a_quorum_of_two_alone(shell: Shell) -> None:
    sam = shell.tokens["sam"]
    code, out = shell("actions", "approve", "act-1", "--as", "sam", "--reason", "ok", token=sam)
    assert code == 0 and "approve by sam recorded" in out
    code, out = shell("actions", "approve", "act-1", "--as", "maria", "--reason", "ok", token=sam)
    assert code == 2 and "--as maria does not match the token, which is sam's" in out
    code, out = shell("actions", "approve", "act-1", "--as", "maria", "--reason", "ok")
    assert code == 2
    assert shell.approvers() == ["sam"]
    maria = shell.tokens["maria"]
    code, out = shell("actions", "approve", "act-1", "--reason", "ok", token=maria)
    assert code == 0 and "action is now approved (2 of 2 approvals)" in out


def test_a_token_file_others_may_read_is_refused(shell: Shell) -> None:
    path = shell.tmp_path / "maria.token"
    path.write_text(shell.tokens["maria"] + "\n", encoding="utf-8")
    path.chmod(0o644)
    args = ("actions", "reject", "act-1", "--reason", "no", "--token-file", str(path))
    code, out = shell(*args)
    assert code == 2 and "group or others may access it" in out and "chmod 600" in out
    assert shell.approvers() == []
    path.chmod(0o600)
    code, out = shell(*args)
    assert code == 0 and "reject by maria recorded on act-1: action is now rejected" in out


def test_a_revoked_token_decides_nothing(shell: Shell) -> None:
    with shell.sessions.begin() as s:
        revoke_tokens(s, user="sam", now=NOW)
    code, out = shell("actions", "approve", "act-1", "--reason", "ok", token=shell.tokens["sam"])
    assert code == 2 and "the token is unknown, revoked, or its user is disabled" in out
    assert shell.approvers() == []


def test_single_operator_mode_takes_as_at_its_word_and_says_so(shell: Shell) -> None:
    shell.single_operator()
    code, out = shell("actions", "approve", "act-1", "--as", "sam", "--reason", "ok")
    assert code == 0 and "single-operator mode: deciding as sam without credentials" in out
    code, out = shell("actions", "approve", "act-1", "--as", "maria", "--reason", "ok")
    assert code == 0 and "action is now approved (2 of 2 approvals)" in out


def test_the_shipped_config_keeps_single_operator_mode_off() -> None:
    assert load_settings(DEFAULT_CONFIG).security.single_operator is False
