"""Short-lived DuckDB handles, so many processes can share one warehouse file.

DuckDB lets one process hold a file read-write, or many hold it read-only, never both. So
no handle outlives one unit of work: readers open a read-only connection per operation, a
writer holds the read-write handle only while it writes. A process that finds the file
locked retries until a bounded deadline, says once who holds it, and then gives up with
`WarehouseBusyError` naming the holder. Each process that holds a handle leaves a small
file (`<warehouse>.holders/<pid>`, its command name) so a waiter can name the command.

Inside one process, DuckDB refuses to open a file read-only and read-write at once, so
threads share a readers-writer lock per file.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from store.errors import WarehouseBusyError

DEFAULT_WAIT_S = 60.0
_LOCK_ERROR = re.compile(r"Could not set lock on file.*?\(PID (\d+)\)", re.S)
_label = "journeyops"
_registry_lock = threading.Lock()
_file_locks: dict[Path, _ReadersWriter] = {}
_holders: dict[Path, int] = {}


def set_process_label(label: str) -> None:
    """Name this process (e.g. its CLI command) to processes waiting for its handle."""
    global _label
    _label = re.sub(r"[^\w .:-]", "", label)[:60] or "journeyops"


def _utc_session(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET TimeZone = 'UTC'")
    cur.close()


class _ReadersWriter:
    """Many readers or one writer, writers first once one waits (no writer starves)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            self._cond.wait_for(lambda: not self._writer and not self._readers)
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class DuckAccess:
    """Read-only and read-write connections to one DuckDB file, opened per unit of work."""

    def __init__(
        self,
        path: Path,
        *,
        wait_s: float = DEFAULT_WAIT_S,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path.resolve()
        url = f"duckdb:///{self.path}"
        self.reader = create_engine(url, poolclass=NullPool, connect_args={"read_only": True})
        self.writer = create_engine(url, poolclass=NullPool)
        for engine in (self.reader, self.writer):
            event.listen(engine, "connect", _utc_session)
        self._wait_s = wait_s
        self._on_wait = on_wait
        self._local = threading.local()
        with _registry_lock:
            self._rw = _file_locks.setdefault(self.path, _ReadersWriter())

    @property
    def holders_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".holders")

    @contextmanager
    def reading(self, prepare: Callable[[Connection], None]) -> Iterator[Connection]:
        """Yield a read-only connection (the thread's open one when nested).

        `prepare` creates the tables with a short write when the file does not exist yet.
        """
        held: Connection | None = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        if not self.path.exists():
            with self.writing(prepare):
                pass
        with self._rw.shared(), self._hold(self.reader) as conn:
            yield conn

    @contextmanager
    def writing(self, prepare: Callable[[Connection], None]) -> Iterator[Engine]:
        """Hold the read-write handle, `prepare` the tables; yield an engine sharing it."""
        if getattr(self._local, "conn", None) is not None:
            raise RuntimeError("a warehouse write cannot start inside a read of this thread")
        with self._rw.exclusive(), self._hold(self.writer) as conn:
            with conn.begin():
                prepare(conn)
            yield self.writer

    @contextmanager
    def _hold(self, engine: Engine) -> Iterator[Connection]:
        conn = self._connect(engine)
        self._local.conn = conn
        self._register(+1)
        try:
            yield conn
        finally:
            self._local.conn = None
            conn.close()
            self._register(-1)

    def _connect(self, engine: Engine) -> Connection:
        deadline = time.monotonic() + self._wait_s
        pause = 0.02
        announced = False
        while True:
            try:
                return engine.connect()
            except OperationalError as exc:
                found = _LOCK_ERROR.search(str(exc.orig))
                if found is None:
                    raise
                holder = self._describe(int(found.group(1)))
                if time.monotonic() >= deadline:
                    raise WarehouseBusyError(self.path, holder, self._wait_s) from None
                if not announced and self._on_wait is not None:
                    self._on_wait(f"waiting for the warehouse: {holder} holds {self.path.name}")
                    announced = True
                time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
                pause = min(pause * 2, 0.5)

    def _describe(self, pid: int) -> str:
        """Return "<command> by PID n", from the holder's file or its command line."""
        try:
            label = (self.holders_dir / str(pid)).read_text(encoding="utf-8").strip()
        except OSError:
            label = _command_of(pid)
        return f"{label} by PID {pid}" if label else f"PID {pid}"

    def _register(self, delta: int) -> None:
        # One holder file per process, present while any thread holds a handle.
        with _registry_lock:
            count = _holders.get(self.path, 0) + delta
            _holders[self.path] = count
            mine = self.holders_dir / str(os.getpid())
            try:
                if delta > 0 and count == 1:
                    self.holders_dir.mkdir(exist_ok=True)
                    mine.write_text(_label, encoding="utf-8")
                elif count == 0:
                    mine.unlink(missing_ok=True)
            except OSError:
                pass  # Naming the holder is a courtesy; a read-only folder must not fail reads.


def _command_of(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    words = [w.decode(errors="replace") for w in raw.split(b"\0") if w]
    return " ".join(Path(words[0]).name if i == 0 else w for i, w in enumerate(words))[:80]
