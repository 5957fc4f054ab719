"""The measuring half of `eval insights`, run in its own process so its peak RSS is its own.

`python -m evals._insights_measure ROOT URL|- EMBEDDER` ingests ROOT/insights.jsonl into the
store (a Chroma server at URL, or an embedded one under ROOT), reopens it, times 200
filtered searches and the same searches through Chroma's own filtered query, scores
planted-evidence recall@10 against ROOT/planted.json and prints the figures as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from agent.config import load_settings
from evals.demo import Incident, default_incidents
from evals.insights_bench import END, QUERIES, queries
from store.insights import InsightHit, InsightStore
from store.insights.embedding import make_embedder

# The baseline must tokenise and score exactly as the hybrid's keyword leg does.
from tools.insights import evidence_for_breakdown, evidence_query, keyword_scores

# Chroma's own filtered query scans the collection per clause: a sample keeps it minutes.
_REFERENCE_QUERIES = 50


def _pct(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2) if values else 0.0


def _timed(
    search: Callable[..., list[InsightHit]], qs: Sequence[dict[str, Any]]
) -> tuple[list[float], list[list[float]]]:
    """Time each search end to end (query embedding included); keep the distances found."""
    ms: list[float] = []
    found: list[list[float]] = []
    for q in qs:
        t0 = time.perf_counter()
        hits = search(**q)
        ms.append((time.perf_counter() - t0) * 1000)
        found.append([h.distance for h in hits])
    return ms, found


def _agreement(fast: Sequence[list[float]], chroma: Sequence[list[float]]) -> float:
    """Share of queries whose ranked top-10 distances match Chroma's (ids may differ on ties)."""
    same = [
        len(a) == len(b) and bool(np.allclose(a, b, atol=1e-4))
        for a, b in zip(fast, chroma, strict=False)
    ]
    return round(float(np.mean(same)), 3) if same else 0.0


def _exact(store: InsightStore, q: dict[str, Any]) -> list[float]:
    """Return the exact top-k distances of one query: every row of its window, ranked here."""
    rows = store.fetch(
        journey=q["journey"],
        stage=q["stage"],
        start=q["start"],
        end=q["end"],
        where=q["where"],
        with_embeddings=True,
    )
    if not rows:
        return []
    vectors = np.vstack([r.embedding for r in rows if r.embedding is not None])
    sims = vectors @ store.embedder.embed([q["query"]])[0]
    return [float(1.0 - s) for s in np.sort(sims)[::-1][: q["k"]]]


def _recall(found: Sequence[str], planted: set[str]) -> float:
    return len(set(found[:10]) & planted) / min(10, len(planted))


def _keyword_top10(store: InsightStore, inc: Incident, label: str, unit: str) -> list[str]:
    """Rank the same window candidates by BM25 of the hybrid's query words alone."""
    found = store.fetch(journey=inc.journey, stage=inc.stage, start=inc.start, end=inc.end)
    if not found:
        return []
    query = evidence_query(metric_label=label, stage=inc.stage, unit=unit, segment=inc.segment)
    order = np.argsort(-keyword_scores(found, query), kind="stable")[:10]
    return [found[i].id for i in order]


def _recalls(store: InsightStore, planted: dict[str, set[str]]) -> tuple[dict[str, Any], float]:
    metrics = load_settings().metrics
    per: dict[str, tuple[float, float]] = {}
    spent: list[float] = []
    for inc in default_incidents(END):
        ids = planted.get(inc.id, set())
        if inc.kind != "rate_change" or not ids:
            continue
        m = metrics[inc.metric]
        t0 = time.perf_counter()
        hits = evidence_for_breakdown(
            store,
            journey=inc.journey,
            stage=inc.stage,
            metric_label=m.label,
            segment=inc.segment,
            start=inc.start,
            end=inc.end,
            k=10,
            unit=m.unit,
            baseline=(inc.start - dt.timedelta(days=28), inc.start - dt.timedelta(days=1)),
        )
        spent.append((time.perf_counter() - t0) * 1000)
        keyword = _keyword_top10(store, inc, m.label, m.unit)
        per[inc.id] = (
            round(_recall([h.id for h in hits], ids), 3),
            round(_recall(keyword, ids), 3),
        )
    return per, float(np.mean(spent)) if spent else 0.0


def measure(root: Path, url: str, embedder: Literal["minilm", "hashing"]) -> dict[str, Any]:
    """Ingest, reopen, time searches and score recall; return the report's figures."""
    planted = {k: set(v) for k, v in json.loads((root / "planted.json").read_text()).items()}
    path = None if url else root / "chroma"
    store = InsightStore.open(path=path, url=url, embedder=make_embedder(embedder))
    report = store.ingest(root / "insights.jsonl")
    store = InsightStore.open(path=path, url=url, embedder=store.embedder)
    qs = queries()
    t0 = time.perf_counter()
    store.search(**qs[0])
    reopen_ms = (time.perf_counter() - t0) * 1000
    total, fast_found = _timed(store.search, qs)
    chroma, chroma_found = _timed(store.search_chroma, qs[:_REFERENCE_QUERIES])
    exact = [_exact(store, q) for q in qs[:_REFERENCE_QUERIES]]
    embed: list[float] = []
    for q in qs:
        t0 = time.perf_counter()
        store.embedder.embed([q["query"]])
        embed.append((time.perf_counter() - t0) * 1000)
    per, evidence_ms = _recalls(store, planted)
    hybrid, plain = [h for h, _ in per.values()], [k for _, k in per.values()]
    return {
        "count": report.added,
        "ingest_per_s": round(report.added / max(report.seconds, 1e-9), 1),
        "ingest_s": round(report.seconds, 2),
        "query_p50_ms": _pct(total, 50),
        "query_p95_ms": _pct(total, 95),
        "recall_at_10": round(float(np.mean(hybrid)), 3) if hybrid else 0.0,
        "keyword_recall_at_10": round(float(np.mean(plain)), 3) if plain else 0.0,
        "embedder": store.embedder.name,
        "query_embed_p50_ms": _pct(embed, 50),
        "query_embed_p95_ms": _pct(embed, 95),
        "evidence_ms": round(evidence_ms, 1),
        "per_incident": per,
        "reopen_first_query_ms": round(reopen_ms, 1),
        "chroma_query_p50_ms": _pct(chroma, 50),
        "chroma_query_p95_ms": _pct(chroma, 95),
        "chroma_agreement_at_10": _agreement(fast_found, chroma_found),
        "exact_agreement_at_10": _agreement(fast_found, exact),
        "queries": QUERIES,
    }


if __name__ == "__main__":
    kind: Literal["minilm", "hashing"] = "minilm" if sys.argv[3] == "minilm" else "hashing"
    url_arg = "" if sys.argv[2] == "-" else sys.argv[2]
    sys.stdout.write(json.dumps(measure(Path(sys.argv[1]), url_arg, kind)) + "\n")
