"""The action graph end to end: interrupt for the council, resume after SQL, dispatch, schedule.

Each test runs on a SQLite store with the SQLite checkpointer and on a PostgreSQL store
with the PostgreSQL checkpointer. Decisions are committed with `decide` first, then the
thread is resumed; the real dispatcher delivers to a real receiver on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agent.actions.dispatch import Dispatcher
from agent.actions.graph import (
    ActionContext,
    ActionGraph,
    build_action_graph,
    resume_action,
    waiting_for,
)
from store.gate.actions import revise_action
from store.gate.outbox import outbox_for
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from tests.support.demo_workspace import copy_home
from tests.support.receiver import Fault, Receiver
from tests.support.store_fixtures import BACKENDS, propose_fix, store_sessions
from tools.workflows import RetryPolicy, WorkflowTarget

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
SECRET = "s3cret"
FAST = RetryPolicy(attempts=3, base_delay_s=0.0, max_delay_s=0.0, timeout_s=2.0)


@contextmanager
def open_saver(engine: Engine, folder: Path) -> Iterator[BaseCheckpointSaver[str]]:
    """Open the checkpointer beside a store: SQLite file, or the store's PostgreSQL schema."""
    if engine.dialect.name == "postgresql":
        from langgraph.checkpoint.postgres import PostgresSaver

        url = engine.url.render_as_string(hide_password=False)
        with PostgresSaver.from_conn_string("postgresql://" + url.split("://", 1)[1]) as pg:
            pg.setup()
            yield pg
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(folder / "checkpoints.sqlite", check_same_thread=False)
    try:
        lite = SqliteSaver(conn)
        lite.setup()
        yield lite
    finally:
        conn.close()


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for factory in store_sessions(
        request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")
    ):
        with factory.begin() as s:
            members = [MemberSpec(user=u, role="council_member") for u in ("li", "sam")]
            save_journeys(
                s,
                specs=[JourneySpec(id="checkout", council=CouncilSpec(quorum=2, members=members))],
            )
            propose_fix(s, "act-1", now=NOW)
        yield factory


@pytest.fixture
def graph(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[ActionGraph]:
    with open_saver(sessions.kw["bind"], tmp_path) as saver:
        yield build_action_graph(saver)


def _ctx(sessions: sessionmaker[Session], rx: Receiver | None = None) -> ActionContext:
    dispatcher = None
    if rx is not None:
        target = WorkflowTarget(kind="webhook", url=rx.url("/eng"), secret_env="S")
        dispatcher = Dispatcher(
            sessions=sessions,
            targets={"engineering": target},
            clock=lambda: NOW,
            policy=FAST,
            environ={"S": SECRET},
            sleep=lambda _s: None,
        )
    return ActionContext(
        sessions=sessions,
        clock=lambda: NOW,
        dispatcher=dispatcher,
        evaluation_days={"fix_payment_path": 21},
    )


def _decide(sessions: sessionmaker[Session], user: str, how: str = "approve") -> None:
    decision = "approve" if how == "approve" else "reject"
    with sessions.begin() as s:
        decide(s, action_id="act-1", user=user, decision=decision, reason="ok", now=NOW)


def test_thread_waits_for_quorum_then_dispatches_and_schedules_the_check(
    sessions: sessionmaker[Session], graph: ActionGraph
) -> None:
    with Receiver(secret=SECRET, faults=[Fault.http(503), Fault.lost()]) as rx:
        ctx = _ctx(sessions, rx)
        state = resume_action(graph, ctx, action_id="act-1")
        assert state["status"] == "proposed" and waiting_for(graph, action_id="act-1") == "council"
        # A resume with nothing new in SQL (early, or repeated) changes nothing.
        assert resume_action(graph, ctx, action_id="act-1")["status"] == "proposed"
        _decide(sessions, "li")
        assert resume_action(graph, ctx, action_id="act-1")["status"] == "proposed"
        assert waiting_for(graph, action_id="act-1") == "council" and rx.requests == []
        _decide(sessions, "sam")
        state = resume_action(graph, ctx, action_id="act-1")
        assert state["status"] == "dispatched"
        assert state["outcome_check_after"] == "2026-04-22"
        assert graph.get_state({"configurable": {"thread_id": "act-1"}}).next == ()
        # Finished threads are left alone: resuming again sends nothing.
        resume_action(graph, ctx, action_id="act-1")
    assert rx.effects == {"act-1": 1} and len(rx.requests) == 3
    with sessions() as s:
        assert [r.status for r in outbox_for(s, action_id="act-1")] == ["delivered"]


def test_rejected_thread_ends_without_any_delivery(
    sessions: sessionmaker[Session], graph: ActionGraph
) -> None:
    with Receiver(secret=SECRET) as rx:
        ctx = _ctx(sessions, rx)
        resume_action(graph, ctx, action_id="act-1")
        _decide(sessions, "li", "reject")
        assert resume_action(graph, ctx, action_id="act-1")["status"] == "rejected"
        assert waiting_for(graph, action_id="act-1") is None
    assert rx.requests == []
    with sessions() as s:
        assert outbox_for(s, action_id="act-1") == []


def test_without_a_dispatcher_the_thread_waits_for_the_outbox_then_finishes(
    sessions: sessionmaker[Session], graph: ActionGraph
) -> None:
    ctx = _ctx(sessions)
    resume_action(graph, ctx, action_id="act-1")
    with sessions.begin() as s:
        revise_action(s, action_id="act-1", payload={"title": "Fix v2"}, by="li", now=NOW)
    state = resume_action(graph, ctx, action_id="act-1")
    assert (state["status"], state["version"]) == ("proposed", 2)
    _decide(sessions, "sam")
    with pytest.raises(Exception, match="cannot approve"):
        _decide(sessions, "li")  # li wrote v2
    with sessions.begin() as s:
        members = [MemberSpec(user=u, role="council_member") for u in ("li", "sam", "ann")]
        save_journeys(
            s, specs=[JourneySpec(id="checkout", council=CouncilSpec(quorum=2, members=members))]
        )
    _decide(sessions, "ann")
    assert resume_action(graph, ctx, action_id="act-1")["status"] == "approved"
    assert waiting_for(graph, action_id="act-1") == "delivery"
    with Receiver(secret=SECRET) as rx:
        report = _ctx(sessions, rx).dispatcher.run_once()  # type: ignore[union-attr]
    assert report.delivered == ["act-1"] and rx.effects == {"act-1": 1}
    state = resume_action(graph, ctx, action_id="act-1")
    assert state["status"] == "dispatched" and "outcome_check_after" in state
    assert waiting_for(graph, action_id="act-1") is None


def test_cli_scan_starts_threads_and_decisions_resume_them(demo_base: Path, tmp_path: Path) -> None:
    """The product's own entry points drive the threads: scan files, approve resumes."""
    from agent.actions.graph import thread_config
    from agent.checkpoints import open_checkpointer
    from agent.config import load_settings
    from agent.workspace import Workspace
    from tests.support.demo_workspace import run_cli, token_for

    home = copy_home(demo_base, tmp_path)
    run_cli(home, "scan", "--json")
    workspace, settings = Workspace(home), load_settings()
    with open_checkpointer(settings, workspace) as saver:
        graph = build_action_graph(saver)
        listed = run_cli(home, "actions", "list", "--journey", "insurance_claim")
        action_id = next(w for w in listed.split() if w.startswith("act-"))
        assert waiting_for(graph, action_id=action_id) == "council"
        assert graph.get_state(thread_config(action_id)).values["status"] == "proposed"
    jun = token_for(home, "jun")
    run_cli(home, "actions", "approve", action_id, "--reason", "clear cause", env=jun)
    with open_checkpointer(settings, workspace) as saver:
        graph = build_action_graph(saver)
        # Approved and in the outbox: the thread now waits for `journeyops dispatch`.
        assert waiting_for(graph, action_id=action_id) == "delivery"
        assert graph.get_state(thread_config(action_id)).values["status"] == "approved"
