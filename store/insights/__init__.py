"""The customer-insight store: validated ingest into Chroma and filtered vector search.

Chroma (embedded, or a `chroma run` server) holds every insight and does the filtering: a
journey's window is one indexed day-key lookup (`store.insights._chroma`). The window's
rows come here and are ranked exactly, one window at a time: Chroma's filtered HNSW search
misses neighbours when the filter keeps a small share of a large collection. Searches
without a window, and windows too large to bring over, are ranked by Chroma.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from store.errors import InputLimits
from store.insights import _chroma as chroma
from store.insights._fresh import FreshCollection
from store.insights._ingest import FileRules, Writer, finish_undo
from store.insights._rows import DIM as _DIM
from store.insights._rows import (
    InsightHit,
    InsightIngestReport,
    InsightRecord,
    Meta,
    ids_in,
    public,
)
from store.insights.embedding import Embedder

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

__all__ = ["InsightHit", "InsightIngestReport", "InsightRecord", "InsightStore", "ids_in"]

# Most rows one window read brings in; a search on a server ships fewer as JSON.
_MAX_WINDOW = 200_000
_MAX_REMOTE_WINDOW = 20_000


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
        col: FreshCollection,
        embedder: Embedder,
        *,
        max_text_chars: int,
        journal: Path | None = None,
        remote: bool = False,
    ) -> None:
        self._fresh = col
        self._journal = journal
        if journal is not None:
            finish_undo(col.get(), journal)
        self.embedder = embedder
        self.max_text_chars = max_text_chars
        self._day_keys = chroma.has_day_keys(col.get())
        self._remote = remote
        self._dim = _DIM if chroma.is_namespaced(col.get()) else ""

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
        journal = None if url or path is None else path / "ingest-in-progress.json"
        return cls(col, embedder, max_text_chars=max_text_chars, journal=journal, remote=bool(url))

    def count(self) -> int:
        """Return how many insights are stored."""
        return self._col.count()

    def ingest(
        self,
        path: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        limits: InputLimits | None = None,
        now: datetime | None = None,
    ) -> InsightIngestReport:
        """Validate every row of a CSV/JSONL file, then embed and add the new ones.

        A bad row writes nothing (InputError naming file, line and field); a write that
        fails part way removes what this call added. Rows dated after `now` plus the
        limits' tolerance are refused.
        """
        started = time.perf_counter()
        limits = limits or InputLimits()
        rules = FileRules(
            max_text_chars=self.max_text_chars,
            max_line_bytes=limits.max_line_bytes,
            latest=limits.latest_allowed(now or datetime.now(UTC)),
        )
        # One writer at a time across processes.
        with self._fresh.writing():
            writer = Writer(
                self._col, self.embedder, self._day_keys, bool(self._dim), self._journal
            )
            rows, added = writer.ingest(path, rules, progress)
        return InsightIngestReport(
            file=str(path),
            rows=rows,
            added=added,
            skipped_existing=rows - added,
            seconds=time.perf_counter() - started,
        )

    def remove(self, ids: Sequence[str]) -> int:
        """Delete the insights with these ids (`ids_in(file)`: a file's); return how many."""
        stored = set(self._col.get(ids=list(ids), include=[])["ids"]) if ids else set()
        if stored:
            with self._fresh.writing():
                self._col.delete(ids=sorted(stored))
        return len(stored)

    def _stored(self, where: Mapping[str, str] | None) -> dict[str, str]:
        """Return dimension filters under the keys the collection stores them at."""
        return {self._dim + k: v for k, v in (where or {}).items()}

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
        cap: int = _MAX_WINDOW,
    ) -> chroma.Page | None:
        """Read a journey's window by its day keys, filtered here; None if no keys or > cap."""
        keys = chroma.key_clause(journey=journey, stage=stage, start=start, end=end)
        if keys is None or not self._day_keys:
            return None
        ids, docs, metas, vectors = chroma.read(
            self._col, keys, limit=cap + 1, embeddings=embeddings
        )
        if len(ids) > cap:
            return None
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
            cap=_MAX_REMOTE_WINDOW if self._remote else _MAX_WINDOW,
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
        """Answer `search` with Chroma's own filtered query (day keys when a window has them)."""
        equal = _equal(journey=journey, stage=stage, source=source, where=self._stored(where))
        keys = chroma.key_clause(journey=journey, stage=stage, start=start, end=end)
        if keys is None or not self._day_keys:
            flt = chroma.where_clause(equal=equal, start=start, end=end)
        else:
            # The day keys already pin the journey, the stage and the days.
            rest = _equal(journey=None, stage=None, source=source, where=self._stored(where))
            flt = chroma.where_clause(equal=rest, also=[keys])
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
            equal = _equal(journey=journey, stage=stage, source=None, where=self._stored(where))
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
            InsightRecord(ident, docs[n] or "", public(cast(Meta, metas[n] or {})))
            for n, ident in enumerate(found)
        ]
