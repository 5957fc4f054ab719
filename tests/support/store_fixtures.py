"""A fresh governance store on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from store.audit_keys import AuditKeying
from store.db import make_engine, migrate, session_factory, sqlite_url
from store.gate.actions import propose_action

BACKENDS = ["sqlite", "postgresql"]
# The audit key of tests that seed a store which a CLI or server (reading
# $JOURNEYOPS_AUDIT_KEY) then uses: both must key the chain alike.
AUDIT_KEY = "test-audit-key-not-secret"
KEYING = AuditKeying(AUDIT_KEY.encode("utf-8"), "tests")
PG_SKIP = "JOURNEYOPS_TEST_PG_URL is not set (.ci/run sets it); PostgreSQL test skipped"


def fresh_engine(backend: str, tmp_path: Path, pg_url: str | None) -> Iterator[Engine]:
    """Yield an engine on an empty database: a SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        engine = make_engine(sqlite_url(tmp_path / "store.sqlite"))
        yield engine
        engine.dispose()
        return
    if not pg_url:
        pytest.skip(PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    engine = make_engine(f"{pg_url}{sep}options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def store_sessions(
    backend: str, tmp_path: Path, pg_url: str | None
) -> Iterator[sessionmaker[Session]]:
    """Yield a session factory on a fresh, migrated database of the given backend."""
    for engine in fresh_engine(backend, tmp_path, pg_url):
        migrate(engine)
        yield session_factory(engine)


def drop_append_only_guards(session: Session) -> None:
    """Drop the triggers that refuse UPDATE/DELETE, as someone with DDL rights could."""
    if session.get_bind().dialect.name == "postgresql":
        for table in ("decisions", "audit_events"):
            session.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
    else:
        for table in ("decisions", "audit_events"):
            for verb in ("update", "delete"):
                session.execute(text(f"DROP TRIGGER {table}_no_{verb}"))


def propose_fix(
    session: Session,
    action_id: str,
    *,
    now: dt.datetime,
    payload: dict[str, object] | None = None,
    journey: str = "checkout",
    title: str = "Fix",
    proposed_by: str = "journeyops-agent",
    expires_at: dt.datetime | None = None,
    value: float = 1.0,
) -> None:
    """File a `fix_payment_path` proposal to the `engineering` workflow, as the gate tests do."""
    propose_action(
        session,
        action_id=action_id,
        breakdown_id=None,
        journey_id=journey,
        playbook="fix_payment_path",
        title=title,
        workflow="engineering",
        payload={"title": title} if payload is None else payload,
        expected_value_per_week=value,
        proposed_by=proposed_by,
        expires_at=expires_at or now + dt.timedelta(days=14),
        now=now,
    )
