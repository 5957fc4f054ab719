"""Insight ingest: validate a whole file, then embed and add its new rows, all or nothing.

The file is read twice: a first pass validates every row (a bad row writes nothing) and
notes each id's first line; the second streams those rows in chunks, so memory holds the
ids and one chunk, not the file. If a write fails part way (a full disk, a lost server),
the rows this call added are deleted again, so a file is either stored whole or not at all.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from store.insights import _chroma as chroma
from store.insights._rows import Meta, Row, public, read_records, validate_row
from store.insights.embedding import Embedder, Vectors

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

# Rows embedded and written per Chroma add: large enough to sort away padding and to
# amortise Chroma's per-call cost, small enough for Chroma's maximum batch size.
CHUNK = 2048


@dataclass(frozen=True)
class FileRules:
    """How rows of one file are checked: text length, line length, latest timestamp."""

    max_text_chars: int
    max_line_bytes: int = 1_000_000
    latest: datetime | None = None


def _rows(path: Path, rules: FileRules) -> Iterator[tuple[int, Row]]:
    for n, rec in read_records(path, max_line_bytes=rules.max_line_bytes):
        yield n, validate_row(path, n, rec, rules.max_text_chars, latest=rules.latest)


def _chunks(path: Path, rules: FileRules, first: Mapping[str, int]) -> Iterator[list[Row]]:
    """Yield the rows at each id's first line, `CHUNK` at a time, in file order."""
    batch: list[Row] = []
    for n, row in _rows(path, rules):
        if first.get(row.id) == n:
            batch.append(row)
            if len(batch) == CHUNK:
                yield batch
                batch = []
    if batch:
        yield batch


@dataclass
class Writer:
    """Adds rows to one collection and remembers what it added, to undo a failed file."""

    col: Collection
    embedder: Embedder
    day_keys: bool
    namespaced: bool
    # Ids written by an ingest still in progress, so a failed one is undone even when the
    # undo itself fails (a full disk): the next open of the store finishes it.
    journal: Path | None = None

    def meta(self, meta: Meta) -> Meta:
        if not self.namespaced:
            meta = public(meta)  # A collection written before dimensions had a namespace.
        if not self.day_keys:
            return meta
        day = chroma.day_of(int(meta["ts_epoch"]))
        return meta | chroma.day_keys(str(meta["journey"]), str(meta["stage"]), day)

    def add(self, batch: Sequence[Row], vectors: Vectors) -> None:
        ids, docs = [r.id for r in batch], [r.text for r in batch]
        metas = [self.meta(r.meta) for r in batch]
        self.col.add(ids=ids, documents=docs, embeddings=vectors, metadatas=metas)  # type: ignore[arg-type]

    def ingest(
        self, path: Path, rules: FileRules, progress: Callable[[int, int], None] | None
    ) -> tuple[int, int]:
        """Store the file's new rows; return (rows in the file, rows added)."""
        first: dict[str, int] = {}
        rows = 0
        for n, row in _rows(path, rules):
            first.setdefault(row.id, n)
            rows += 1
        added: list[str] = []
        done = 0
        try:
            # Chroma writes one chunk on a worker thread while the next chunk is embedded
            # (both release the GIL), so the two costs overlap instead of adding up.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="insight-add") as pool:
                pending: Future[None] | None = None
                for batch in _chunks(path, rules, first):
                    done += len(batch)
                    known = set(self.col.get(ids=[r.id for r in batch], include=[])["ids"])
                    new = [r for r in batch if r.id not in known]
                    if new:
                        vectors = self.embedder.embed([r.text for r in new])
                        if pending is not None:
                            pending.result()
                        added += [r.id for r in new]
                        self._note(added)
                        pending = pool.submit(self.add, new, vectors)
                    if progress is not None:
                        progress(done, len(first))
                if pending is not None:
                    pending.result()
        except BaseException:
            try:
                undo(self.col, added)
                self._note([])
            except Exception:
                pass  # The journal stays; `finish_undo` completes the undo at the next open.
            raise
        self._note([])
        return rows, len(added)

    def _note(self, ids: list[str]) -> None:
        if self.journal is None:
            return
        if not ids:
            self.journal.unlink(missing_ok=True)
            return
        part = self.journal.with_suffix(".part")
        with part.open("w", encoding="utf-8") as fh:
            json.dump(ids, fh)
            fh.flush()
            os.fsync(fh.fileno())
        part.replace(self.journal)


def undo(col: Collection, ids: list[str]) -> None:
    """Delete the rows an ingest added (deleting ids never written is harmless)."""
    for start in range(0, len(ids), CHUNK):
        col.delete(ids=ids[start : start + CHUNK])


def finish_undo(col: Collection, journal: Path) -> None:
    """Remove the rows of an ingest that failed and could not undo itself (a full disk)."""
    if journal.exists():
        undo(col, [str(i) for i in json.loads(journal.read_text(encoding="utf-8"))])
        journal.unlink()
