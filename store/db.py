"""Engines, sessions, migrations and the writer lock of the governance store.

The store runs on SQLite (embedded default, WAL) or PostgreSQL. Every repository function
that writes calls `lock_writes` first, so check-then-write sequences (quorum counts, the
audit chain's next sequence number, idempotent proposals) never interleave between two
writers on either database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from store.audit_keys import UNKEYED, AuditKeying, install_anchor, session_info

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Long enough for a loaded machine: a writer that waits past it fails with "database is
# locked" (seen with four dispatchers on two busy cores), and waiting costs nothing.
_BUSY_TIMEOUT_MS = 30_000
# Any constant works; it only has to be the same for every journeyops writer.
# PostgreSQL writer lock: (this constant, the store's schema), so that stores in different
# schemas of one database never serialize each other.
_PG_WRITER_LOCK = 0x6A6F7572  # "jour"


def sqlite_url(path: Path) -> str:
    """Return the SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a 30 s busy timeout and enforced foreign keys."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: object, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def session_factory(engine: Engine, *, audit: AuditKeying = UNKEYED) -> sessionmaker[Session]:
    """Return the session factory; callers own their transactions (`with f.begin()`).

    `audit` keys the audit chain and names its anchor file (see `store.audit_keys`).
    """
    factory = sessionmaker(engine, expire_on_commit=False, info=session_info(audit))
    install_anchor(factory, audit)
    return factory


def lock_writes(session: Session) -> None:
    """Serialize this transaction with every other store writer until it ends.

    SQLite takes the database write lock now (waiting up to the busy timeout), which also
    opens the transaction, so the reads that follow see every committed write. PostgreSQL
    takes a transaction-scoped advisory lock; its later statements see fresh commits too.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # A write that matches no row still takes SQLite's RESERVED lock.
        session.execute(text("UPDATE audit_events SET seq = seq WHERE 0 = 1"))
    elif dialect == "postgresql":
        pg_writer_lock(session, wait=True)


def pg_writer_lock(session: Session, *, wait: bool) -> bool:
    """Take this store's transaction-scoped PostgreSQL writer lock; False if busy and not `wait`."""
    fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    query = text(f"SELECT {fn}(:k, hashtext(current_schema()))")
    taken = session.execute(query, {"k": _PG_WRITER_LOCK}).scalar_one()
    return True if wait else bool(taken)
