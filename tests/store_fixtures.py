"""A migrated governance store on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, migrate, session_factory, sqlite_url

BACKENDS = ["sqlite", "postgresql"]


def store_sessions(
    backend: str, tmp_path: Path, pg_url: str | None
) -> Iterator[sessionmaker[Session]]:
    """Yield a session factory on a fresh, migrated database of the given backend."""
    if backend == "sqlite":
        engine = make_engine(sqlite_url(tmp_path / "store.sqlite"))
        migrate(engine)
        yield session_factory(engine)
        engine.dispose()
        return
    if not pg_url:
        pytest.skip("JOURNEYOPS_TEST_PG_URL is not set (.ci/run sets it); PostgreSQL test skipped")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    engine = make_engine(f"{pg_url}{sep}options=-csearch_path%3D{schema}")
    migrate(engine)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
