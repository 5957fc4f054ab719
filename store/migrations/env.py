"""Alembic environment: runs on the connection handed over by store.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import store.live  # noqa: F401  (registers the live watch's tables on Base.metadata)
from store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "set sqlalchemy.url or pass a connection"
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
