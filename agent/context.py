"""The run context: every dependency a graph node may use, built once per entry point."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from agent.config import Settings
from agent.llm.protocol import LLM
from agent.workspace import Workspace
from store.db import make_engine, migrate, session_factory
from store.insights import InsightStore
from store.insights.embedding import make_embedder
from store.warehouse import Warehouse


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class RunContext:
    """Dependencies of a run. Tests build their own; only entry points build the real one."""

    settings: Settings
    workspace: Workspace
    warehouse: Warehouse
    sessions: sessionmaker[Session]
    insights: InsightStore | None = None
    llm: LLM | None = None
    clock: Callable[[], dt.datetime] = _utcnow
    status: Callable[[str], None] = field(default=lambda _msg: None)
    scratch: dict[str, object] = field(default_factory=dict)


def warehouse_url(settings: Settings, workspace: Workspace) -> str:
    """Return JOURNEYOPS_WAREHOUSE_URL, else the configured URL, else the workspace's DuckDB."""
    return (
        os.environ.get("JOURNEYOPS_WAREHOUSE_URL")
        or settings.warehouse.url
        or f"duckdb:///{workspace.warehouse_path}"
    )


def tell_stderr(message: str) -> None:
    """Say on stderr that this process waits for another (the default `on_wait`)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def open_warehouse(settings: Settings, workspace: Workspace) -> Warehouse:
    """Open the warehouse; a Spark one keeps its Parquet files in `parquet_dir`."""
    parquet = settings.warehouse.parquet_dir
    location = Path(parquet) if parquet else workspace.root / "parquet"
    return Warehouse.open(
        warehouse_url(settings, workspace),
        location=location,
        lock_wait_s=settings.warehouse.lock_wait_s,
        on_wait=tell_stderr,
    )


def store_url(settings: Settings, workspace: Workspace) -> str:
    """Return JOURNEYOPS_STORE_URL (keeps a password out of config.toml), else the configured
    URL, else the workspace's SQLite file."""
    return (
        os.environ.get("JOURNEYOPS_STORE_URL")
        or settings.store.url
        or f"sqlite:///{workspace.store_path}"
    )


def open_insights(settings: Settings, workspace: Workspace) -> InsightStore:
    """Open the insight store: a Chroma server (JOURNEYOPS_INSIGHTS_URL, else [insights] url),
    or the embedded Chroma of the workspace."""

    url = os.environ.get("JOURNEYOPS_INSIGHTS_URL") or settings.insights.url
    return InsightStore.open(
        path=None if url else workspace.chroma_dir,
        url=url,
        embedder=make_embedder(settings.insights.embedder),
        max_text_chars=settings.insights.max_text_chars,
        on_wait=tell_stderr,
    )


def build_context(
    settings: Settings, workspace: Workspace, *, with_insights: bool = True
) -> RunContext:
    """Open the warehouse, the SQL store (migrated) and the insight store."""

    engine = make_engine(store_url(settings, workspace))
    migrate(engine)
    # An embedded insight store that was never written needs no Chroma client (slow to start).
    has_insights = (
        bool(os.environ.get("JOURNEYOPS_INSIGHTS_URL") or settings.insights.url)
        or workspace.chroma_dir.exists()
    )
    return RunContext(
        settings=settings,
        workspace=workspace,
        warehouse=open_warehouse(settings, workspace),
        sessions=session_factory(
            engine,
            audit=workspace.audit_keying(
                env_name=settings.security.audit_key_env, environ=os.environ
            ),
        ),
        insights=open_insights(settings, workspace) if with_insights and has_insights else None,
    )
