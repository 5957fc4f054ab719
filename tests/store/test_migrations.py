"""Migrations build exactly the models' schema, idempotently, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import store.db
import store.live
from store.db import migrate
from store.models import Base
from tests.support.store_fixtures import BACKENDS, fresh_engine

MIGRATIONS = Path(store.db.__file__).resolve().parent / "migrations"


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from fresh_engine(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def _head(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_migrations_produce_the_models_schema(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_migrate_twice_changes_nothing(engine: Engine) -> None:
    migrate(engine)
    tables = sorted(inspect(engine).get_table_names())
    migrate(engine)
    assert sorted(inspect(engine).get_table_names()) == tables
    assert _head(engine) == "0010"
    assert {"actions", "decisions", "audit_events", "journeys", "councils"} <= set(tables)


def test_downgrade_to_nothing_and_back(engine: Engine) -> None:
    migrate(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert _head(engine) == "0010"
