"""Open a conversation on a workspace, the way the CLI does, for chat tests and evals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.chat.conversation import Conversation
from agent.checkpoints import open_checkpointer
from agent.config import DEFAULT_CONFIG, load_settings
from agent.context import RunContext, build_context
from agent.llm.protocol import LLM
from agent.workspace import Workspace


@contextmanager
def conversation(home: Path, thread: str, *, llm: LLM | None = None) -> Iterator[Conversation]:
    """Yield a conversation on `home` whose state is checkpointed in the workspace."""
    settings = load_settings(DEFAULT_CONFIG)
    workspace = Workspace.resolve(home)
    ctx: RunContext = build_context(settings, workspace)
    ctx.llm = llm
    with open_checkpointer(settings, workspace) as saver:
        yield Conversation(ctx, thread_id=thread, checkpointer=saver)
