"""CLI: `actions list` and `actions show` show the gate's quorum progress; deciding goes
through the gate's caller. Each test runs on a SQLite store and on a PostgreSQL one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from agent.cli.app import app
from agent.config import DEFAULT_CONFIG
from store.db import migrate, session_factory
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.signin.tokens import add_user, create_token
from tests.support.store_fixtures import BACKENDS, fresh_engine, propose_fix

runner = CliRunner()
# Each user's sign-in token, minted by `_seed` (the CLI decides as a token's owner).
TOKENS: dict[str, str] = {}
Run = Callable[..., tuple[int, str]]
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(params=BACKENDS)
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Run]:
    for engine in fresh_engine(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")):
        _seed(engine)
        yield _cli(tmp_path, engine)


def _seed(engine: Engine) -> None:
    migrate(engine)
    members = [MemberSpec(user=u, role="council_member") for u in ("li", "sam")]
    with session_factory(engine).begin() as s:
        save_journeys(
            s, specs=[JourneySpec(id="checkout", council=CouncilSpec(quorum=2, members=members))]
        )
        propose_fix(s, "act-1", now=NOW)
        for user in ("li", "sam"):
            add_user(s, name=user, role="council_member", now=NOW)
            TOKENS[user] = create_token(s, user=user, now=NOW)


def _cli(tmp_path: Path, engine: Engine) -> Run:
    config = tmp_path / "config.toml"
    url = engine.url.render_as_string(hide_password=False)
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        '[store]\n# Empty = the embedded SQLite file in the workspace (WAL mode).\nurl = ""',
        f"[store]\nurl = {json.dumps(url)}",
    )
    config.write_text(text, encoding="utf-8")

    def run(*args: str, user: str | None = None) -> tuple[int, str]:
        env = {"JOURNEYOPS_TOKEN": TOKENS[user]} if user else {"JOURNEYOPS_TOKEN": ""}
        result = runner.invoke(
            app, ["--home", str(tmp_path / "home"), "--config", str(config), *args], env=env
        )
        return result.exit_code, " ".join(result.output.split())

    return run


def test_show_and_list_follow_quorum_progress_as_the_gate_counts_it(cli: Run) -> None:
    code, out = cli("actions", "show", "act-1")
    assert code == 0
    assert "quorum: 0 of 2 approvals · deciders: li, sam · may still approve: li, sam" in out
    code, out = cli("actions", "approve", "act-1", "--reason", "holds", user="li")
    assert code == 0 and "action is now proposed (1 of 2 approvals)" in out
    code, out = cli("actions", "show", "act-1")
    assert "quorum: 1 of 2 approvals (li) · deciders: li, sam · may still approve: sam" in out
    assert "li approve: holds" in out
    code, out = cli("actions", "list")
    assert code == 0 and "act-1" in out and "1/2" in out
    code, out = cli("actions", "approve", "act-1", "--reason", "again", user="li")
    assert code == 1 and "refused: li already decided on act-1 v1" in out
    code, out = cli("actions", "approve", "act-1", "--reason", "holds", user="sam")
    assert code == 0 and "action is now approved (2 of 2 approvals)" in out
    code, out = cli("actions", "show", "act-1")
    assert "quorum: 2 of 2 approvals (li, sam) · deciders: li, sam" in out
    assert "may still approve" not in out


def test_show_names_an_unknown_action_in_one_line(cli: Run) -> None:
    code, out = cli("actions", "show", "act-404")
    assert code == 2 and out == "error: no action 'act-404'"


def test_list_refuses_an_unknown_journey_naming_the_closest(cli: Run) -> None:
    code, out = cli("actions", "list", "--journey", "checkout")
    assert code == 0 and "act-1" in out
    runner_result = cli("actions", "list", "--journey", "chekout")
    assert runner_result[0] != 0
