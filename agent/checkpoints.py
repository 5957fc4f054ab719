"""SQL checkpointers for the graphs: SQLite in the workspace, or the PostgreSQL store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from agent.config import Settings
from agent.context import store_url
from agent.workspace import Workspace


@contextmanager
def open_checkpointer(
    settings: Settings, workspace: Workspace
) -> Iterator[BaseCheckpointSaver[str]]:
    """Yield the checkpointer that lives beside the store (PostgreSQL when the store is)."""
    url = store_url(settings, workspace)
    if url.startswith("postgresql"):
        # Only the configured backend is imported (start-up time, optional driver).
        from langgraph.checkpoint.postgres import PostgresSaver

        conninfo = "postgresql://" + url.split("://", 1)[1]
        with PostgresSaver.from_conn_string(conninfo) as saver:
            saver.setup()
            yield saver
        return
    # Only the configured backend is imported (start-up time, optional driver).
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(workspace.checkpoints_path, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=10000")
        lite = SqliteSaver(conn)
        lite.setup()
        yield lite
    finally:
        conn.close()
