"""An in-process copy of the insight collection for fast filtered search.

Chroma stays the store of record, but its metadata `where` filtering costs tens of
milliseconds a query. This index is loaded once from the collection (no re-embedding),
extended on every add, and answers the filters we use (journey, stage, source, time window,
any dimension equal to a value) with numpy masks and exact cosine scoring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from store.insights._rows import Meta

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

Rows = npt.NDArray[np.int64]
_PAGE = 5000
_NOT_STR = -2  # a code for values that are not strings: never equal to a filter value
_MISSING = -1


def _grow(arr: npt.NDArray[np.generic], need: int) -> npt.NDArray[np.generic]:
    if need <= len(arr):
        return arr
    out = np.empty((max(need, 2 * len(arr), 1024), *arr.shape[1:]), dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


class _Column:
    """One metadata key coded as int32, so equality filters are a vectorised compare."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.values = np.empty(0, dtype=np.int32)

    def extend(self, metas: Sequence[Mapping[str, object]], key: str, start: int) -> None:
        new = np.empty(len(metas), dtype=np.int32)
        for n, meta in enumerate(metas):
            value = meta.get(key)
            if value is None:
                new[n] = _MISSING
            elif isinstance(value, str):
                new[n] = self.codes.setdefault(value, len(self.codes))
            else:
                new[n] = _NOT_STR
        self.values = cast("npt.NDArray[np.int32]", _grow(self.values, start + len(metas)))
        self.values[start : start + len(metas)] = new

    def equal(self, value: str, n: int) -> npt.NDArray[np.bool_]:
        code = self.codes.get(value)
        if code is None:
            return np.zeros(n, dtype=bool)
        out: npt.NDArray[np.bool_] = self.values[:n] == code
        return out


class InsightIndex:
    """Ids, texts, metadata, coded columns, timestamps and an embedding matrix, in memory."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.ids: list[str] = []
        self.docs: list[str] = []
        self.metas: list[Meta] = []
        self.position: dict[str, int] = {}
        self._emb = np.empty((0, dim), dtype=np.float32)
        self._ts = np.empty(0, dtype=np.int64)
        self._cols: dict[str, _Column] = {}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def load(cls, collection: Collection, dim: int) -> InsightIndex:
        """Read every stored insight (with its stored embedding) page by page."""
        index = cls(dim)
        offset = 0
        while True:
            res = collection.get(
                limit=_PAGE, offset=offset, include=["embeddings", "metadatas", "documents"]
            )
            ids = res["ids"]
            if not ids:
                return index
            embs = res["embeddings"]
            vectors = np.asarray(embs, dtype=np.float32).reshape(len(ids), -1)
            docs = res["documents"] or []
            metas = res["metadatas"] or []
            index.append(
                ids,
                [d or "" for d in docs] if docs else [""] * len(ids),
                [cast(Meta, dict(m or {})) for m in metas] if metas else [{}] * len(ids),
                vectors,
            )
            offset += len(ids)

    def append(
        self,
        ids: Sequence[str],
        docs: Sequence[str],
        metas: Sequence[Meta],
        vectors: npt.NDArray[np.float32],
    ) -> None:
        """Add rows just written to the collection (ids already present are replaced)."""
        fresh = [n for n, i in enumerate(ids) if i not in self.position]
        for n, ident in enumerate(ids):
            at = self.position.get(ident)
            if at is not None:  # an upsert of a known id: keep its place, refresh the rest
                self.docs[at], self.metas[at] = docs[n], metas[n]
                self._emb[at] = vectors[n]
                self._ts[at] = int(metas[n].get("ts_epoch", 0))
                for key, col in self._cols.items():
                    col.extend([metas[n]], key, at)
        start = len(self.ids)
        need = start + len(fresh)
        self._emb = cast("npt.NDArray[np.float32]", _grow(self._emb, need))
        self._ts = cast("npt.NDArray[np.int64]", _grow(self._ts, need))
        new_metas = [metas[n] for n in fresh]
        for n, src in enumerate(fresh):
            self.position[ids[src]] = start + n
            self.ids.append(ids[src])
            self.docs.append(docs[src])
            self.metas.append(metas[src])
        if fresh:
            self._emb[start:need] = vectors[fresh]
        self._ts[start:need] = [int(m.get("ts_epoch", 0)) for m in new_metas]
        for key, col in self._cols.items():
            col.extend(new_metas, key, start)

    def _column(self, key: str) -> _Column:
        col = self._cols.get(key)
        if col is None:
            col = self._cols[key] = _Column()
            col.extend(self.metas, key, 0)
        return col

    def select(
        self,
        *,
        equal: Mapping[str, str],
        start_epoch: int | None = None,
        end_epoch: int | None = None,
    ) -> Rows:
        """Return the rows (in insertion order) whose metadata matches every filter."""
        n = len(self.ids)
        mask = np.ones(n, dtype=bool)
        if start_epoch is not None:
            mask &= self._ts[:n] >= start_epoch
        if end_epoch is not None:
            mask &= self._ts[:n] <= end_epoch
        for key, value in equal.items():
            mask &= self._column(key).equal(value, n)
        return np.flatnonzero(mask).astype(np.int64)

    def nearest(
        self, rows: Rows, query: npt.NDArray[np.float32], k: int
    ) -> list[tuple[int, float]]:
        """Return up to k (row, cosine distance) pairs among `rows`, nearest first."""
        if len(rows) == 0 or k <= 0:
            return []
        sims = self._emb[rows] @ query
        top = np.argpartition(-sims, k - 1)[:k] if len(rows) > k else np.arange(len(rows))
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(rows[i]), float(1.0 - sims[i])) for i in top]

    def vectors(self, rows: Rows) -> npt.NDArray[np.float32]:
        """Return the stored embeddings of these rows."""
        return self._emb[rows]
