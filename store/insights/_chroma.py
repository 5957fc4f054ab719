"""The Chroma side of the insight store: the collection, `where` filters and paged reads.

Every insight carries two derived day keys (`jd` = journey/day, `jsd` = journey/stage/day,
UTC days). Chroma evaluates each clause of a `where` over the whole collection, so
`journey = x AND stage = y AND ts in week` costs in proportion to the collection; one
`jsd IN (the week's seven keys)` clause is an index lookup that costs in proportion to the
rows it returns. Reads of a journey's window therefore ask Chroma for the day keys and
apply the remaining filters to the rows that come back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlparse

import numpy as np

from store.insights._rows import Meta, epoch, public

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from store.insights.embedding import Vectors

Found = list[tuple[str, str, Meta, float]]
Page = tuple[list[str], list[str], list[Meta], "Vectors | None"]
# Collections written since day keys exist say so; older ones are read with plain filters.
DAY_KEYS = "day_keys"
# Collections written since dimensions are namespaced (store.insights._rows.DIM) say so.
NAMESPACED = "dim_namespace"
# Windows longer than this are filtered by time range instead of a list of day keys.
MAX_KEY_DAYS = 62
_PAGE = 5000


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
        metadata={"hnsw:space": "cosine", "embedder": embedder_name, DAY_KEYS: 1, NAMESPACED: 1},
    )


def has_day_keys(col: Collection) -> bool:
    """Return whether the collection's rows carry the `jd` / `jsd` day keys."""
    return bool((col.metadata or {}).get(DAY_KEYS))


def is_namespaced(col: Collection) -> bool:
    """Return whether the collection stores dimensions under their prefix."""
    return bool((col.metadata or {}).get(NAMESPACED))


def day_of(ts_epoch: int) -> date:
    """Return the UTC day of an epoch second."""
    return datetime.fromtimestamp(ts_epoch, UTC).date()


def day_keys(journey: str, stage: str, day: date) -> dict[str, str]:
    """Return the derived day keys of one insight."""
    return {"jd": f"{journey}/{day.isoformat()}", "jsd": f"{journey}/{stage}/{day.isoformat()}"}


def key_clause(
    *, journey: str | None, stage: str | None, start: date | None, end: date | None
) -> dict[str, object] | None:
    """Return a `jd`/`jsd IN (…)` clause selecting a journey's window, when one fits."""
    if journey is None or start is None or end is None or end < start:
        return None
    days = (end - start).days + 1
    if days > MAX_KEY_DAYS:
        return None
    span = [start + timedelta(days=n) for n in range(days)]
    if stage is None:
        return {"jd": {"$in": [f"{journey}/{d.isoformat()}" for d in span]}}
    return {"jsd": {"$in": [f"{journey}/{stage}/{d.isoformat()}" for d in span]}}


def where_clause(
    *,
    equal: Mapping[str, str],
    start: date | None = None,
    end: date | None = None,
    also: Sequence[dict[str, object]] = (),
) -> dict[str, object] | None:
    """Return the Chroma `where` filter for metadata equalities, a time window and `also`."""
    clauses: list[dict[str, object]] = [*also]
    clauses += [{k: {"$eq": v}} for k, v in equal.items()]
    if start is not None:
        clauses.append({"ts_epoch": {"$gte": epoch(start)}})
    if end is not None:
        clauses.append({"ts_epoch": {"$lte": epoch(end, end=True)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def read(col: Collection, where: dict[str, object] | None, *, limit: int, embeddings: bool) -> Page:
    """Return up to `limit` rows matching `where`, page by page (ids, texts, metas, vectors)."""
    ids: list[str] = []
    docs: list[str] = []
    metas: list[Meta] = []
    vectors: list[Vectors] = []
    include = ["documents", "metadatas", *(["embeddings"] if embeddings else [])]
    while len(ids) < limit:
        res = col.get(
            where=where,  # type: ignore[arg-type]
            limit=min(_PAGE, limit - len(ids)),
            offset=len(ids),
            include=include,  # type: ignore[arg-type]
        )
        got = res["ids"]
        if not got:
            break
        ids += got
        docs += [d or "" for d in res.get("documents") or [""] * len(got)]
        metas += [public(cast(Meta, m or {})) for m in res.get("metadatas") or [{}] * len(got)]
        if embeddings:
            vectors.append(np.asarray(res["embeddings"], dtype=np.float32).reshape(len(got), -1))
        if len(got) < _PAGE:
            break
    matrix = np.vstack(vectors) if vectors else None
    return ids, docs, metas, matrix


# Filtered HNSW search loses recall when the filter keeps few rows: asking for this many
# times k widens the search, and the candidates are then ranked exactly here.
OVERFETCH = 20


def query(col: Collection, vector: Vectors, *, k: int, where: dict[str, object] | None) -> Found:
    """Return (id, text, metadata, cosine distance) of the k nearest rows Chroma filters in.

    Chroma's filtered nearest-neighbour search is approximate, so it is asked for
    `OVERFETCH × k` candidates with their vectors, which are ranked exactly by cosine.
    """
    if k <= 0:
        return []
    res = col.query(
        query_embeddings=vector,
        n_results=k * OVERFETCH,
        where=where,  # type: ignore[arg-type]
        include=["documents", "metadatas", "embeddings"],
    )
    ids = res["ids"][0]
    if not ids:
        return []
    docs = (res["documents"] or [[]])[0]
    metas = (res["metadatas"] or [[]])[0]
    found = np.asarray((res["embeddings"] or [[]])[0], dtype=np.float32).reshape(len(ids), -1)
    sims = found @ np.asarray(vector, dtype=np.float32).reshape(-1)
    top = np.argsort(-sims, kind="stable")[:k]
    return [
        (ids[i], docs[i] or "", public(cast(Meta, metas[i] or {})), float(1.0 - sims[i]))
        for i in top
    ]
