"""Conversations are private and fresh: per-thread tool sessions, new data on the next turn."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pandas as pd
import pytest

from agent.chat.conversation import Conversation, Turn
from agent.chat.tools.session import ToolSession
from agent.checkpoints import open_checkpointer
from agent.config import DEFAULT_CONFIG, load_settings
from agent.context import build_context
from agent.ingest import ingest_events
from agent.workspace import Workspace
from evals.demo import generate
from tests.support.demo_workspace import run_cli


@pytest.fixture(scope="module")
def small_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("small")
    manifest = generate(root / "data", seed=11, scale=0.05)
    home = root / "home"
    run_cli(home, "journeys", "load", str(manifest.journeys_file))
    run_cli(home, "ingest", "events", str(manifest.events_file))
    return home, manifest.events_file


def _session(conv: Conversation) -> ToolSession:
    session = conv.ctx.scratch["tool_session"]
    assert isinstance(session, ToolSession)
    return session


def test_two_users_asking_at_once_keep_their_own_sessions_and_threads(
    small_home: tuple[Path, Path],
) -> None:
    home, _ = small_home
    settings = load_settings(DEFAULT_CONFIG)
    workspace = Workspace.resolve(home)
    shared = build_context(settings, workspace, with_insights=False)
    turns: dict[str, Turn] = {}
    with open_checkpointer(settings, workspace) as saver:
        convs = {
            "ann": Conversation(shared, thread_id="web-ann", checkpointer=saver),
            "bob": Conversation(shared, thread_id="web-bob", checkpointer=saver),
        }
        questions = {
            "ann": "why did checkout payment conversion drop?",
            "bob": "how is returns label conversion doing?",
        }
        start = threading.Barrier(2)

        def ask(user: str) -> None:
            start.wait(timeout=60)
            turns[user] = convs[user].ask(questions[user])

        threads = [threading.Thread(target=ask, args=(u,)) for u in convs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)

        assert set(turns) == {"ann", "bob"}
        assert _session(convs["ann"]) is not _session(convs["bob"])
        assert "scratch" not in shared.scratch and shared.scratch == {}
        ann_said = [m["content"] for m in convs["ann"].state()["messages"] if m["role"] == "user"]
        bob_said = [m["content"] for m in convs["bob"].state()["messages"] if m["role"] == "user"]
        assert ann_said == [questions["ann"]]
        assert bob_said == [questions["bob"]]
        assert "checkout" in turns["ann"].answer.lower()
        assert "returns" in turns["bob"].answer.lower()


def test_the_next_turn_sees_data_ingested_after_the_last(
    small_home: tuple[Path, Path], tmp_path: Path
) -> None:
    home, events = small_home
    settings = load_settings(DEFAULT_CONFIG)
    workspace = Workspace.resolve(home)
    ctx = build_context(settings, workspace, with_insights=False)
    newest = pd.Timestamp(pd.read_parquet(events, columns=["ts"])["ts"].max()).date()
    later = newest + dt.timedelta(days=2)
    late = tmp_path / "late.csv"
    late.write_text(
        "ts,journey,stage,customer_id,completed\n"
        f"{later.isoformat()}T10:00:00Z,checkout,payment,late-1,1\n",
        encoding="utf-8",
    )
    with open_checkpointer(settings, workspace) as saver:
        conv = Conversation(ctx, thread_id="fresh", checkpointer=saver)
        conv.ask("why did checkout payment conversion drop?")
        assert _session(conv).newest_day() == newest

        ingest_events(build_context(settings, workspace, with_insights=False), late)

        conv.ask("and how is checkout payment conversion now?")
        assert _session(conv).newest_day() == later
