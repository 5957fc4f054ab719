"""The customer-insight store: validated ingest into Chroma and filtered vector search."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from store._insight_rows import Meta, epoch, read_records, validate_row
from store.embedding import Embedder, Vectors

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

_BATCH = 256


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


def _where(
    *,
    journey: str | None = None,
    stage: str | None = None,
    start: date | None = None,
    end: date | None = None,
    source: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, object] | None:
    clauses: list[dict[str, object]] = []
    for key, value in (("journey", journey), ("stage", stage), ("source", source)):
        if value is not None:
            clauses.append({key: {"$eq": value}})
    if start is not None:
        clauses.append({"ts_epoch": {"$gte": epoch(start)}})
    if end is not None:
        clauses.append({"ts_epoch": {"$lte": epoch(end, end=True)}})
    clauses.extend({k: {"$eq": v}} for k, v in (extra or {}).items())
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class InsightStore:
    """Customer verbatims in a Chroma collection, embedded by our own embedder."""

    def __init__(self, collection: Collection, embedder: Embedder, *, max_text_chars: int) -> None:
        self._col = collection
        self.embedder = embedder
        self.max_text_chars = max_text_chars

    @classmethod
    def open(
        cls,
        *,
        path: Path | None,
        url: str = "",
        embedder: Embedder,
        max_text_chars: int = 2000,
    ) -> InsightStore:
        """Open (or create) the store: a Chroma server when url is set, else a local path."""
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        if url:
            from urllib.parse import urlparse

            parts = urlparse(url)
            client = chromadb.HttpClient(
                host=parts.hostname or "localhost",
                port=parts.port or 8000,
                ssl=parts.scheme == "https",
                settings=settings,
            )
        else:
            if path is None:
                raise ValueError("an insight store needs a path or a url")
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=settings)
        # No embedding function: we always pass vectors, so Chroma never fetches a model.
        col = client.get_or_create_collection(
            "insights",
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedder": embedder.name},
        )
        return cls(col, embedder, max_text_chars=max_text_chars)

    def count(self) -> int:
        """Return how many insights are stored."""
        return self._col.count()

    def ingest(
        self, path: Path, *, progress: Callable[[int, int], None] | None = None
    ) -> InsightIngestReport:
        """Validate every row of a CSV/JSONL file, then embed and upsert the new ones."""
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
        for i in range(0, len(new), _BATCH):
            batch = new[i : i + _BATCH]
            vectors = self.embedder.embed([r.text for r in batch])
            self._col.upsert(
                ids=[r.id for r in batch],
                documents=[r.text for r in batch],
                embeddings=vectors,
                metadatas=[r.meta for r in batch],
            )
            if progress is not None:
                progress(min(i + _BATCH, len(new)), len(new))
        return InsightIngestReport(
            file=str(path),
            rows=len(rows),
            added=len(new),
            skipped_existing=len(rows) - len(new),
            seconds=time.perf_counter() - started,
        )

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
        flt = _where(journey=journey, stage=stage, start=start, end=end, source=source, extra=where)
        res = self._col.query(
            query_embeddings=self.embedder.embed([query]),
            n_results=k,
            where=flt,  # type: ignore[arg-type]
            include=["documents", "metadatas", "distances"],
        )
        ids = res["ids"][0]
        docs = (res["documents"] or [[]])[0]
        metas = (res["metadatas"] or [[]])[0]
        dists = (res["distances"] or [[]])[0]
        return [
            InsightHit(i, d or "", cast(Meta, dict(m or {})), float(x))
            for i, d, m, x in zip(ids, docs, metas, dists, strict=True)
        ]

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
        """Return stored insights matching the filters (embeddings on request)."""
        flt = _where(journey=journey, stage=stage, start=start, end=end, extra=where)
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        res = self._col.get(where=flt, limit=limit, include=include)  # type: ignore[arg-type]
        return self._records(res, with_embeddings)

    def get(self, ids: Sequence[str]) -> list[InsightRecord]:
        """Return the stored insights with these ids (unknown ids are left out)."""
        if not ids:
            return []
        res = self._col.get(ids=list(ids), include=["documents", "metadatas"])
        return self._records(res, False)

    @staticmethod
    def _records(res: Mapping[str, object], with_embeddings: bool) -> list[InsightRecord]:
        ids = cast("list[str]", res["ids"])
        docs = cast("list[str | None]", res.get("documents") or [None] * len(ids))
        metas = cast("list[Mapping[str, object] | None]", res.get("metadatas") or [None] * len(ids))
        embs = cast(
            "Sequence[Sequence[float]] | None", res.get("embeddings") if with_embeddings else None
        )
        out: list[InsightRecord] = []
        for n, ident in enumerate(ids):
            vec = np.asarray(embs[n], dtype=np.float32) if embs is not None else None
            out.append(InsightRecord(ident, docs[n] or "", cast(Meta, dict(metas[n] or {})), vec))
        return out
