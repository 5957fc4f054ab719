"""The customer-insight store: validated ingest into Chroma and filtered vector search."""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from store.embedding import Embedder, Vectors
from store.errors import InputError
from store.sanitize import sanitize_text

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CORE = {"id", "ts", "journey", "stage", "source", "text", "score"}
_BATCH = 256
Meta = dict[str, str | int | float]


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


@dataclass(frozen=True)
class _Row:
    id: str
    text: str
    meta: Meta


def _epoch(d: date, *, end: bool = False) -> int:
    moment = datetime.combine(d, dtime.max if end else dtime.min, tzinfo=UTC)
    return int(moment.timestamp())


def _parse_ts(raw: str) -> datetime:
    ts = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        if path.suffix.lower() in {".jsonl", ".ndjson"}:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(str(path), lineno, None, f"invalid JSON: {exc.msg}") from exc
                if not isinstance(obj, dict):
                    raise InputError(str(path), lineno, None, "expected a JSON object")
                yield lineno, obj
        else:
            reader = csv.DictReader(fh)
            for rec in reader:
                yield reader.line_num, dict(rec)


def _validate(path: Path, lineno: int, rec: Mapping[str, object], max_chars: int) -> _Row:
    def err(fld: str, reason: str) -> InputError:
        return InputError(str(path), lineno, fld, reason)

    def text_of(key: str) -> str:
        value = rec.get(key)
        return "" if value is None else str(value).strip()

    ident = text_of("id")
    if not ident:
        raise err("id", "missing")
    try:
        ts = _parse_ts(text_of("ts"))
    except ValueError as exc:
        raise err("ts", f"not an ISO-8601 timestamp ({text_of('ts')!r})") from exc
    journey = text_of("journey")
    if not _SLUG.match(journey):
        raise err("journey", f"not a slug ({journey!r})")
    stage = text_of("stage")
    if stage and not _SLUG.match(stage):
        raise err("stage", f"not a slug ({stage!r})")
    raw_text = rec.get("text")
    if not isinstance(raw_text, str) or not raw_text.strip():
        raise err("text", "empty")
    clean, digest = sanitize_text(raw_text, max_chars=max_chars)
    if not clean:
        raise err("text", "empty after sanitizing")
    meta: Meta = {
        "journey": journey,
        "stage": stage,
        "source": text_of("source"),
        "ts": ts.isoformat(),
        "ts_epoch": int(ts.timestamp()),
        "original_sha256": digest,
    }
    score = text_of("score")
    if score:
        try:
            meta["score"] = float(score)
        except ValueError as exc:
            raise err("score", f"not a number ({score!r})") from exc
    for key, value in rec.items():
        if key in _CORE or key is None or value is None or str(value).strip() == "":
            continue
        meta[str(key)] = sanitize_text(str(value), max_chars=200)[0]
    return _Row(ident, clean, meta)


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
        clauses.append({"ts_epoch": {"$gte": _epoch(start)}})
    if end is not None:
        clauses.append({"ts_epoch": {"$lte": _epoch(end, end=True)}})
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
        rows = [_validate(path, n, rec, self.max_text_chars) for n, rec in _records(path)]
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
