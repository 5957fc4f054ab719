"""The customer-insight store: validated ingest into Chroma and filtered vector search.

Chroma is the store of record. Filtered reads are answered by an in-process copy
(`store.insights._index`) loaded once from the collection and extended on every add, because
Chroma's metadata filtering costs tens of milliseconds a query.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

from store.insights import _chroma as chroma
from store.insights._index import InsightIndex, Rows
from store.insights._rows import Meta, Row, epoch, read_records, validate_row
from store.insights.embedding import Embedder, Vectors

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

# Rows embedded and written per Chroma add: large enough to sort away padding and to
# amortise Chroma's per-call cost, small enough for Chroma's maximum batch size.
_CHUNK = 2048


@dataclass(frozen=True)
class InsightIngestReport:
    file: str
    rows: int
    added: int
    skipped_existing: int
    seconds: float


@dataclass(frozen=True)
class InsightRecord:
    id: str
    text: str
    metadata: Meta
    embedding: Vectors | None = field(default=None, compare=False)


@dataclass(frozen=True)
class InsightHit:
    id: str
    text: str
    metadata: Meta
    distance: float


def _equal(
    *,
    journey: str | None,
    stage: str | None,
    source: str | None,
    where: Mapping[str, str] | None,
) -> dict[str, str]:
    named = (("journey", journey), ("stage", stage), ("source", source))
    return {k: v for k, v in named if v is not None} | dict(where or {})


class InsightStore:
    """Customer verbatims in a Chroma collection, embedded by our own embedder."""

    def __init__(
        self,
        collection: Collection,
        embedder: Embedder,
        *,
        max_text_chars: int,
        recheck_s: float = 1.0,
    ) -> None:
        self._col = collection
        self.embedder = embedder
        self.max_text_chars = max_text_chars
        self.recheck_s = recheck_s
        self._index: InsightIndex | None = None
        self._checked = 0.0

    @classmethod
    def open(
        cls,
        *,
        path: Path | None,
        url: str = "",
        embedder: Embedder,
        max_text_chars: int = 2000,
        recheck_s: float = 1.0,
    ) -> InsightStore:
        """Open (or create) the store: a Chroma server when url is set, else a local path."""
        col = chroma.open_collection(path=path, url=url, embedder_name=embedder.name)
        return cls(col, embedder, max_text_chars=max_text_chars, recheck_s=recheck_s)

    def count(self) -> int:
        """Return how many insights are stored."""
        return self._col.count()

    def ingest(
        self, path: Path, *, progress: Callable[[int, int], None] | None = None
    ) -> InsightIngestReport:
        """Validate every row of a CSV/JSONL file, then embed and add the new ones."""
        started = time.perf_counter()
        rows = [validate_row(path, n, rec, self.max_text_chars) for n, rec in read_records(path)]
        seen: dict[str, int] = {}
        for n, row in enumerate(rows):
            seen.setdefault(row.id, n)
        unique = [rows[n] for n in sorted(seen.values())]
        existing: set[str] = set()
        for i in range(0, len(unique), 5000):
            ids = [r.id for r in unique[i : i + 5000]]
            existing.update(self._col.get(ids=ids, include=[])["ids"])
        new = [r for r in unique if r.id not in existing]
        # Chroma writes one chunk on a worker thread while the next chunk is embedded (both
        # release the GIL), so the two costs overlap instead of adding up.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="insight-add") as pool:
            pending: Future[None] | None = None
            for i in range(0, len(new), _CHUNK):
                batch = new[i : i + _CHUNK]
                vectors = self.embedder.embed([r.text for r in batch])
                if pending is not None:
                    pending.result()
                pending = pool.submit(self._add, batch, vectors)
                if progress is not None:
                    progress(min(i + _CHUNK, len(new)), len(new))
            if pending is not None:
                pending.result()
        return InsightIngestReport(
            file=str(path),
            rows=len(rows),
            added=len(new),
            skipped_existing=len(rows) - len(new),
            seconds=time.perf_counter() - started,
        )

    def _add(self, batch: Sequence[Row], vectors: Vectors) -> None:
        ids, docs, metas = [r.id for r in batch], [r.text for r in batch], [r.meta for r in batch]
        self._col.add(ids=ids, documents=docs, embeddings=vectors, metadatas=metas)  # type: ignore[arg-type]
        if self._index is not None:
            self._index.append(ids, docs, metas, vectors)

    def index(self) -> InsightIndex:
        """Return the in-process index, loading it from Chroma if absent or stale.

        Our own adds keep it current. At most every `recheck_s` seconds the collection's
        count is compared (the call costs milliseconds at 100k rows, as much as the search
        itself): a difference means another process wrote, so the index is read again
        (stored vectors, no re-embedding).
        """
        now = time.monotonic()
        if self._index is None or (
            now - self._checked >= self.recheck_s and len(self._index) != self._col.count()
        ):
            self._index = InsightIndex.load(self._col, self.embedder.dim)
            self._checked = time.monotonic()
        elif now - self._checked >= self.recheck_s:
            self._checked = now
        return self._index

    def _select(
        self,
        *,
        journey: str | None,
        stage: str | None,
        start: date | None,
        end: date | None,
        source: str | None,
        where: Mapping[str, str] | None,
    ) -> tuple[InsightIndex, Rows]:
        index = self.index()
        rows = index.select(
            equal=_equal(journey=journey, stage=stage, source=source, where=where),
            start_epoch=None if start is None else epoch(start),
            end_epoch=None if end is None else epoch(end, end=True),
        )
        return index, rows

    def search(
        self,
        *,
        query: str,
        k: int = 10,
        journey: str | None = None,
        stage: str | None = None,
        start: date | None = None,
        end: date | None = None,
        source: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> list[InsightHit]:
        """Return the k insights nearest the query among those matching every filter."""
        index, rows = self._select(
            journey=journey, stage=stage, start=start, end=end, source=source, where=where
        )
        if len(rows) == 0:
            return []
        qv = self.embedder.embed([query])[0]
        return [
            InsightHit(index.ids[n], index.docs[n], dict(index.metas[n]), dist)
            for n, dist in index.nearest(rows, qv, k)
        ]

    def search_chroma(
        self,
        *,
        query: str,
        k: int = 10,
        journey: str | None = None,
        stage: str | None = None,
        start: date | None = None,
        end: date | None = None,
        source: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> list[InsightHit]:
        """Answer `search` with Chroma's own `where` filter (the reference; slower)."""
        equal = _equal(journey=journey, stage=stage, source=source, where=where)
        flt = chroma.where_clause(equal=equal, start=start, end=end)
        found = chroma.query(self._col, self.embedder.embed([query]), k=k, where=flt)
        return [InsightHit(*hit) for hit in found]

    def fetch(
        self,
        *,
        journey: str,
        stage: str | None = None,
        start: date | None = None,
        end: date | None = None,
        where: Mapping[str, str] | None = None,
        limit: int = 50_000,
        with_embeddings: bool = False,
    ) -> list[InsightRecord]:
        """Return stored insights matching the filters, in write order (embeddings on request)."""
        index, rows = self._select(
            journey=journey, stage=stage, start=start, end=end, source=None, where=where
        )
        rows = rows[:limit]
        vectors = index.vectors(rows) if with_embeddings else None
        return [
            InsightRecord(
                index.ids[n],
                index.docs[n],
                dict(index.metas[n]),
                None if vectors is None else vectors[i],
            )
            for i, n in enumerate(rows.tolist())
        ]

    def get(self, ids: Sequence[str]) -> list[InsightRecord]:
        """Return the stored insights with these ids (unknown ids are left out)."""
        if not ids:
            return []
        res = self._col.get(ids=list(ids), include=["documents", "metadatas"])
        found = res["ids"]
        docs = cast("list[str | None]", res.get("documents") or [None] * len(found))
        metas = cast(
            "list[Mapping[str, object] | None]", res.get("metadatas") or [None] * len(found)
        )
        return [
            InsightRecord(ident, docs[n] or "", cast(Meta, dict(metas[n] or {})))
            for n, ident in enumerate(found)
        ]
