"""The embedded Chroma collection, kept fresh and safe when several processes share it.

Chroma's PersistentClient can be opened by several processes, but a client keeps its
vector index in memory, so rows another process added after it opened never show in its
similarity searches. Every writer therefore takes an exclusive file lock, and when done
writes a new token to a generation file; a reader whose token is older drops Chroma's
cached system for the folder and opens the collection again (a few tens of ms, only after
a write).
"""

from __future__ import annotations

import fcntl
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from store.insights import _chroma as chroma

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

_GENERATION = ".generation"
_WRITE_LOCK = ".write.lock"


class FreshCollection:
    """Hand out the collection, reopened after another process's write."""

    def __init__(
        self,
        *,
        path: Path | None,
        url: str,
        embedder_name: str,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self._path = None if url else path
        self._url = url
        self._embedder_name = embedder_name
        self._on_wait = on_wait
        self._lock = threading.Lock()
        self._seen = self._generation()
        self._col = chroma.open_collection(path=path, url=url, embedder_name=embedder_name)

    def get(self) -> Collection:
        """Return the collection, as fresh as the last finished write of any process."""
        if self._path is None:
            return self._col
        now = self._generation()
        if now != self._seen:
            with self._lock:
                if now != self._seen:
                    self._reopen()
                    self._seen = now
        return self._col

    @contextmanager
    def writing(self) -> Iterator[Collection]:
        """Yield the collection while no other process writes; announce the write after."""
        if self._path is None:
            yield self._col
            return
        with open(self._path / _WRITE_LOCK, "a", encoding="utf-8") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if self._on_wait is not None:
                    self._on_wait("waiting for the insight store: another process is adding")
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield self.get()
            finally:
                token = uuid.uuid4().hex
                tmp = self._path / f"{_GENERATION}.{token}"
                tmp.write_text(token, encoding="utf-8")
                tmp.replace(self._path / _GENERATION)
                with self._lock:
                    self._seen = token

    def _generation(self) -> str:
        if self._path is None:
            return ""
        try:
            return (self._path / _GENERATION).read_text(encoding="utf-8")
        except OSError:
            return ""

    def _reopen(self) -> None:
        # Chroma caches one System per folder for the whole process; dropping it (without
        # stopping it, as other threads may still read through it) makes the next client
        # load the folder again.
        # chromadb takes a second to import; only processes that read insights pay for it.
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(self._path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(self._path), None)
        self._col = chroma.open_collection(
            path=self._path, url="", embedder_name=self._embedder_name
        )
