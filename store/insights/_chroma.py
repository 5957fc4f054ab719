"""The Chroma side of the insight store: opening the collection and `where`-filtered queries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlparse

from store.insights._rows import Meta, epoch

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from store.insights.embedding import Vectors

Found = list[tuple[str, str, Meta, float]]


def open_collection(*, path: Path | None, url: str, embedder_name: str) -> Collection:
    """Open (or create) the collection: on a Chroma server when url is set, else at path."""
    # chromadb takes a second to import; only commands that read insights pay for it.
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if url:
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
    return client.get_or_create_collection(
        "insights",
        embedding_function=None,
        metadata={"hnsw:space": "cosine", "embedder": embedder_name},
    )


def where_clause(
    *,
    equal: Mapping[str, str],
    start: date | None = None,
    end: date | None = None,
) -> dict[str, object] | None:
    """Return the Chroma `where` filter for metadata equalities and a time window."""
    clauses: list[dict[str, object]] = [{k: {"$eq": v}} for k, v in equal.items()]
    if start is not None:
        clauses.append({"ts_epoch": {"$gte": epoch(start)}})
    if end is not None:
        clauses.append({"ts_epoch": {"$lte": epoch(end, end=True)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def query(col: Collection, vector: Vectors, *, k: int, where: dict[str, object] | None) -> Found:
    """Return (id, text, metadata, cosine distance) of the k nearest rows Chroma filters in."""
    res = col.query(
        query_embeddings=vector,
        n_results=k,
        where=where,  # type: ignore[arg-type]
        include=["documents", "metadatas", "distances"],
    )
    ids = res["ids"][0]
    docs = (res["documents"] or [[]])[0]
    metas = (res["metadatas"] or [[]])[0]
    dists = (res["distances"] or [[]])[0]
    return [
        (i, d or "", cast(Meta, dict(m or {})), float(x))
        for i, d, m, x in zip(ids, docs, metas, dists, strict=True)
    ]
