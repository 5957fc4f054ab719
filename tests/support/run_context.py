"""A run context whose governance store is a fresh SQLite file or PostgreSQL schema.

The graphs' checkpointer lives beside the store, as in production: the workspace's SQLite
file, or the same PostgreSQL schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from agent.config import Settings
from agent.context import RunContext, build_context
from agent.workspace import Workspace
from tests.support.store_fixtures import fresh_engine


def run_context(
    backend: str, settings: Settings, tmp_path: Path, pg_url: str | None, *, now: dt.datetime
) -> Iterator[RunContext]:
    """Yield a run context on a fresh store of `backend` whose clock stands at `now`."""
    for engine in fresh_engine(backend, tmp_path, pg_url):
        url = engine.url.render_as_string(hide_password=False) if backend != "sqlite" else ""
        store = settings.store.model_copy(update={"url": url})
        run = build_context(
            settings.model_copy(update={"store": store}),
            Workspace.resolve(tmp_path / "home"),
            with_insights=False,
        )
        run.clock = lambda: now
        try:
            yield run
        finally:
            run.warehouse.close()
            run.sessions.kw["bind"].dispose()
