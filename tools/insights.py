"""Customer evidence for a breakdown: hybrid retrieval and theme surges.

Customer text is data: it is ranked, quoted and counted here, never interpreted as an
instruction. Retrieval fuses three rankings (vector similarity to a query built from the
metric, stage and segment; keyword overlap with those words; and how new the complaint is
against the baseline window), after dropping insights that carry a conflicting segment value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from store.insights import InsightRecord, InsightStore

_WORD = re.compile(r"[a-z0-9][a-z0-9.]*[a-z0-9]|[a-z0-9]")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "had",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "not",
        "of",
        "on",
        "or",
        "so",
        "the",
        "this",
        "to",
        "too",
        "was",
        "were",
        "with",
        "you",
        "your",
        "very",
        "again",
        "after",
        "since",
        "just",
        "still",
        "no",
    ]
)
_PROBLEM = {
    "rate": "failed error declined could not complete broken stuck problem",
    "seconds": "slow waiting taking forever delay no update stuck",
    "points": "unhappy frustrating did not resolve bad experience contact again",
    "money": "expensive cost charged fees",
}
_RRF_K = 60.0
_NEIGHBOUR = 0.6
_THEME = 0.55


@dataclass(frozen=True)
class EvidenceHit:
    id: str
    text: str
    source: str
    ts: str
    score: float


@dataclass(frozen=True)
class ThemeSurge:
    label: str
    count_window: int
    count_baseline: int
    lift: float
    quote_ids: tuple[str, ...]


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _matches(meta: Mapping[str, object], segment: Mapping[str, str]) -> tuple[bool, int]:
    """Return (no conflicting value, number of matching segment values)."""
    hits = 0
    for dim, value in segment.items():
        if dim in meta and meta[dim] is not None:
            if str(meta[dim]) != value:
                return False, 0
            hits += 1
    return True, hits


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Return 1-based ranks, tied scores sharing the best rank (so ties add no order bias)."""
    ordered = np.sort(-scores)
    return np.searchsorted(ordered, -scores, side="left").astype(float) + 1.0


def evidence_for_breakdown(
    store: InsightStore,
    *,
    journey: str,
    stage: str,
    metric_label: str,
    segment: Mapping[str, str],
    start: dt.date,
    end: dt.date,
    k: int = 5,
    unit: str = "rate",
    baseline: tuple[dt.date, dt.date] | None = None,
) -> list[EvidenceHit]:
    """Return the insights that best explain a breakdown of `stage` in the window."""
    found = store.fetch(journey=journey, stage=stage, start=start, end=end, with_embeddings=True)
    matched = [(r, _matches(r.metadata, segment)) for r in found]
    candidates = [(r, hits) for r, (ok, hits) in matched if ok]
    if not candidates:
        return []
    records = [r for r, _ in candidates]
    seg_hits = np.array([h for _, h in candidates], dtype=float)
    query = evidence_query(metric_label=metric_label, stage=stage, unit=unit, segment=segment)
    vectors = _matrix(records)
    qv = store.embedder.embed([query])[0]
    vector = vectors @ qv
    keyword = keyword_scores(records, query)
    novelty = _novelty(
        store, records, vectors, journey=journey, stage=stage, segment=segment, baseline=baseline
    )
    fused = np.zeros(len(records))
    for scores in (vector, keyword, novelty, seg_hits):
        fused += 1.0 / (_RRF_K + _ranks(scores))
    order = np.argsort(-fused, kind="stable")[:k]
    return [
        EvidenceHit(
            id=records[i].id,
            text=records[i].text,
            source=str(records[i].metadata.get("source", "")),
            ts=str(records[i].metadata.get("ts", "")),
            score=round(float(fused[i]), 5),
        )
        for i in order
    ]


def evidence_query(*, metric_label: str, stage: str, unit: str, segment: Mapping[str, str]) -> str:
    """Return the words that describe a breakdown's problem (the retrieval query)."""
    problem = _PROBLEM.get(unit, "")
    return f"{metric_label} problem at {stage.replace('_', ' ')}: {problem} " + " ".join(
        segment.values()
    )


def keyword_scores(records: Sequence[InsightRecord], query: str) -> np.ndarray:
    """Return BM25 scores of records for the words of `query` (the keyword-only ranking)."""
    return _bm25(records, _words(query))


def _matrix(records: Sequence[InsightRecord]) -> np.ndarray:
    return np.vstack([np.asarray(r.embedding, dtype=np.float32) for r in records])


def _bm25(records: Sequence[InsightRecord], terms: Sequence[str]) -> np.ndarray:
    docs = [_words(r.text) for r in records]
    avg = sum(len(d) for d in docs) / max(len(docs), 1) or 1.0
    df = Counter(t for d in docs for t in set(d))
    n = len(docs)
    out = np.zeros(n)
    for i, d in enumerate(docs):
        tf = Counter(d)
        for t in set(terms):
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                out[i] += idf * tf[t] * 2.2 / (tf[t] + 1.2 * (0.25 + 0.75 * len(d) / avg))
    return out


def _novelty(
    store: InsightStore,
    records: Sequence[InsightRecord],
    vectors: np.ndarray,
    *,
    journey: str,
    stage: str,
    segment: Mapping[str, str],
    baseline: tuple[dt.date, dt.date] | None,
) -> np.ndarray:
    """Score how much more often an insight's neighbours appear now than in the baseline.

    The baseline is read through the same segment check as the candidates: a complaint that
    was always there elsewhere is still new in the segment that broke.
    """
    if baseline is None:
        return np.zeros(len(records))
    before = [
        r
        for r in store.fetch(
            journey=journey, stage=stage, start=baseline[0], end=baseline[1], with_embeddings=True
        )
        if _matches(r.metadata, segment)[0]
    ]
    if not before:
        return np.ones(len(records))
    now = (vectors @ vectors.T >= _NEIGHBOUR).sum(axis=1)
    then = (vectors @ _matrix(before).T >= _NEIGHBOUR).sum(axis=1)
    ratio = max(len(before), 1) / max(len(records), 1)
    return np.asarray(now * ratio / (then + 1.0), dtype=np.float64)


def theme_surges(
    store: InsightStore,
    *,
    journey: str,
    stage: str | None,
    window: tuple[dt.date, dt.date],
    baseline: tuple[dt.date, dt.date],
    min_count: int = 5,
    min_lift: float = 2.0,
) -> list[ThemeSurge]:
    """Cluster the window's insights and return the themes whose share rose against baseline."""
    now = store.fetch(
        journey=journey, stage=stage, start=window[0], end=window[1], with_embeddings=True
    )
    if len(now) < min_count:
        return []
    before = store.fetch(
        journey=journey, stage=stage, start=baseline[0], end=baseline[1], with_embeddings=True
    )
    vectors = _matrix(now)
    centroids: list[np.ndarray] = []
    members: list[list[int]] = []
    for i, v in enumerate(vectors):
        sims = [float(c @ v) for c in centroids]
        best = int(np.argmax(sims)) if sims else -1
        if best >= 0 and sims[best] >= _THEME:
            members[best].append(i)
            c = vectors[members[best]].mean(axis=0)
            centroids[best] = c / max(float(np.linalg.norm(c)), 1e-9)
        else:
            centroids.append(v)
            members.append([i])
    days_now = (window[1] - window[0]).days + 1
    days_before = max((baseline[1] - baseline[0]).days + 1, 1)
    old = _matrix(before) if before else np.zeros((0, vectors.shape[1]), dtype=np.float32)
    all_docs = [_words(r.text) for r in now]
    surges = []
    for centroid, idx in zip(centroids, members, strict=True):
        if len(idx) < min_count:
            continue
        count_before = int((old @ centroid >= _THEME).sum()) if len(old) else 0
        lift = (len(idx) / days_now) / ((count_before + 1) / days_before)
        if lift < min_lift:
            continue
        closest = sorted(idx, key=lambda i: -float(vectors[i] @ centroid))[:3]
        surges.append(
            ThemeSurge(
                label=_label([all_docs[i] for i in idx], all_docs),
                count_window=len(idx),
                count_baseline=count_before,
                lift=round(lift, 2),
                quote_ids=tuple(now[i].id for i in closest),
            )
        )
    return sorted(surges, key=lambda s: -s.lift * s.count_window)


def _label(
    cluster: Sequence[Sequence[str]], everything: Sequence[Sequence[str]], n: int = 4
) -> str:
    """Name a theme by its most distinctive words (tf-idf of the cluster against the rest)."""
    df = Counter(t for d in everything for t in set(d))
    tf = Counter(t for d in cluster for t in d)
    total = len(everything)
    scored = sorted(tf, key=lambda t: -tf[t] * math.log(1 + total / df[t]))
    return " ".join(scored[:n])
