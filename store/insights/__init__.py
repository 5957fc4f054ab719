"""The customer-insight store: validated ingest into Chroma and filtered vector search.

Chroma (embedded, or a `chroma run` server through its HttpClient) holds every insight and
does the filtering: a journey's window is one indexed day-key lookup on the server
(`store.insights._chroma`), and only the rows it returns reach this process, which ranks
them exactly. So the process holds one window at a time, never the collection; searches
without a journey's window fall back to Chroma's own filtered nearest-neighbour query.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from store.insights import _chroma as chroma
from store.insights._fresh import FreshCollection
from store.insights._rows import (
    InsightHit,
    InsightIngestReport,
    InsightRecord,
    Meta,
    Row,
    read_records,
    validate_row,
)
from store.insights.embedding import Embedder, Vectors

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

__all__ = ["InsightHit", "InsightIngestReport", "InsightRecord", "InsightStore"]

# Rows embedded and written per Chroma add: large enough to sort away padding and to
# amortise Chroma's per-call cost, small enough for Chroma's maximum batch size.
_CHUNK = 2048
# Most rows one window read brings into the process (a week of one stage is far fewer).
_MAX_WINDOW = 200_000


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

    def __init__(self, col: FreshCollection, embedder: Embedder, *, max_text_chars: int) -> None:
        self._fresh = col
        self.embedder = embedder
        self.max_text_chars = max_text_chars
        self._day_keys = chroma.has_day_keys(col.get())

    @property
    def _col(self) -> Collection:
        return self._fresh.get()

    @classmethod
    def open(
        cls,
        *,
        path: Path | None,
        url: str = "",
        embedder: Embedder,
        max_text_chars: int = 2000,
        on_wait: Callable[[str], None] | None = None,
    ) -> InsightStore:
        """Open (or create) the store: a Chroma server when url is set, else a local path.

        A local store is shared with other processes; `on_wait` hears when this one waits.
        """
        col = FreshCollection(path=path, url=url, embedder_name=embedder.name, on_wait=on_wait)
        return cls(col, embedder, max_text_chars=max_text_chars)

    def count(self) -> int:
        """Return how many insights are stored."""
        return self._col.count()

    def ingest(
        self, path: Path, *, progress: Callable[[int, int], None] | None = None
    ) -> InsightIngestReport:
        """Validate every row of a CSV/JSONL file, then embed and add the new ones.

        The file is read twice: a first pass validates every row (a bad row writes nothing)
        and notes each id's first line; the second streams those rows in chunks, so memory
        holds the ids and one chunk, not the file.
        """
        started = time.perf_counter()
        first: dict[str, int] = {}
        rows = 0
        for n, rec in read_records(path):
            first.setdefault(validate_row(path, n, rec, self.max_text_chars).id, n)
            rows += 1
        added = done = 0
        # One writer at a time across processes. Chroma writes one chunk on a worker thread
        # while the next is embedded (both release the GIL), so the two costs overlap.
        with (
            self._fresh.writing(),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="insight-add") as pool,
        ):
            pending: Future[None] | None = None
            for batch in self._chunks(path, first):
                done += len(batch)
                known = set(self._col.get(ids=[r.id for r in batch], include=[])["ids"])
                new = [r for r in batch if r.id not in known]
                if new:
                    vectors = self.embedder.embed([r.text for r in new])
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(self._add, new, vectors)
                    added += len(new)
                if progress is not None:
                    progress(done, len(first))
            if pending is not None:
                pending.result()
        return InsightIngestReport(
            file=str(path),
            rows=rows,
            added=added,
            skipped_existing=rows - added,
            seconds=time.perf_counter() - started,
        )

    def _chunks(self, path: Path, first: Mapping[str, int]) -> Iterator[list[Row]]:
        """Yield the rows at each id's first line, `_CHUNK` at a time, in file order."""
        batch: list[Row] = []
        for n, rec in read_records(path):
            row = validate_row(path, n, rec, self.max_text_chars)
            if first.get(row.id) == n:
                batch.append(row)
                if len(batch) == _CHUNK:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _add(self, batch: Sequence[Row], vectors: Vectors) -> None:
        ids, docs = [r.id for r in batch], [r.text for r in batch]
        metas = [self._with_keys(r.meta) for r in batch]
        self._col.add(ids=ids, documents=docs, embeddings=vectors, metadatas=metas)  # type: ignore[arg-type]

    def _with_keys(self, meta: Meta) -> Meta:
        if not self._day_keys:
            return meta
        day = chroma.day_of(int(meta["ts_epoch"]))
        return meta | chroma.day_keys(str(meta["journey"]), str(meta["stage"]), day)

    def _window(
        self,
        *,
        journey: str | None,
        stage: str | None,
        start: date | None,
        end: date | None,
        source: str | None,
        where: Mapping[str, str] | None,
        embeddings: bool,
        limit: int,
    ) -> chroma.Page | None:
        """Read a journey's window by its day keys and filter the rest here; None if no keys."""
        keys = chroma.key_clause(journey=journey, stage=stage, start=start, end=end)
        if keys is None or not self._day_keys:
            return None
        ids, docs, metas, vectors = chroma.read(
            self._col, keys, limit=_MAX_WINDOW, embeddings=embeddings
        )
        equal = _equal(journey=journey, stage=stage, source=source, where=where)
        keep = [n for n, m in enumerate(metas) if all(m.get(k) == v for k, v in equal.items())]
        keep = keep[:limit]
        picked = None if vectors is None else vectors[keep]
        return [ids[n] for n in keep], [docs[n] for n in keep], [metas[n] for n in keep], picked

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
        found = self._window(
            journey=journey,
            stage=stage,
            start=start,
            end=end,
            source=source,
            where=where,
            embeddings=True,
            limit=_MAX_WINDOW,
        )
        if found is None:
            return self.search_chroma(
                query=query,
                k=k,
                journey=journey,
                stage=stage,
                start=start,
                end=end,
                source=source,
                where=where,
            )
        ids, docs, metas, vectors = found
        if not ids or vectors is None or k <= 0:
            return []
        sims = vectors @ self.embedder.embed([query])[0]
        top = np.argsort(-sims, kind="stable")[:k]
        return [InsightHit(ids[i], docs[i], dict(metas[i]), float(1.0 - sims[i])) for i in top]

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
        found = self._window(
            journey=journey,
            stage=stage,
            start=start,
            end=end,
            source=None,
            where=where,
            embeddings=with_embeddings,
            limit=limit,
        )
        if found is None:
            equal = _equal(journey=journey, stage=stage, source=None, where=where)
            flt = chroma.where_clause(equal=equal, start=start, end=end)
            ids, docs, metas, vectors = chroma.read(
                self._col, flt, limit=limit, embeddings=with_embeddings
            )
            order = sorted(range(len(ids)), key=lambda n: int(metas[n].get("ts_epoch", 0)))
            ids, docs, metas = (
                [ids[n] for n in order],
                [docs[n] for n in order],
                [metas[n] for n in order],
            )
            vectors = None if vectors is None else vectors[order]
        else:
            ids, docs, metas, vectors = found
        return [
            InsightRecord(ident, docs[n], dict(metas[n]), None if vectors is None else vectors[n])
            for n, ident in enumerate(ids)
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
