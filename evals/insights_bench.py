"""Insight retrieval at scale: ingest speed, filtered-search latency and planted-evidence recall.

The data are the demo's insights plus hard negatives (`evals.demo._text.hard_negatives`):
the incident's own complaint wording in a conflicting segment ("echo") and off-topic
complaints in the incident's segment that share its search words ("lookalike"), both at a
steady rate through the incident window and the 28 days before it.

Recall compares the hybrid `evidence_for_breakdown` with a plain keyword search: BM25 (the
hybrid's own keyword leg, same tokenizer and stop words) over the insights a keyword search
tool would be given (same journey, same stage, same time window; no segment filter, no
baseline window), queried with the same words as the hybrid. So the difference is what the
segment check, vector similarity and novelty against the baseline add.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel
from rich.table import Table

from agent.config import load_settings
from evals.demo import Incident, default_incidents
from evals.demo._events import VALUES
from evals.demo._journeys import JOURNEYS
from evals.demo._text import BACKGROUND, SURGE, hard_negatives
from evals.demo._text import insights as make_insights
from store.insights import InsightHit, InsightStore
from store.insights.embedding import make_embedder

# The baseline must tokenise and score exactly as the hybrid's keyword leg does.
from tools.insights import evidence_for_breakdown, evidence_query, keyword_scores

END = dt.date(2026, 3, 31)
DAYS = 90
QUERIES = 200
SEED = 11


class InsightsBenchReport(BaseModel):
    """The `journeyops eval insights --json` contract (extra fields are informational)."""

    count: int
    ingest_per_s: float
    query_p50_ms: float
    query_p95_ms: float
    recall_at_10: float
    keyword_recall_at_10: float
    embedder: str = ""
    hard_negatives: int = 0
    chroma_query_p50_ms: float = 0.0
    chroma_query_p95_ms: float = 0.0
    chroma_agreement_at_10: float = 0.0
    query_embed_p50_ms: float = 0.0
    query_embed_p95_ms: float = 0.0
    evidence_ms: float = 0.0
    per_incident: dict[str, tuple[float, float]] = {}
    ingest_s: float = 0.0
    index_load_s: float = 0.0


def _expected(scale: float) -> float:
    surge = sum(max(2.0, 22 * scale**0.5) for _ in range(3)) * 7
    negatives = 3 * 2 * 35 * max(1.5, 4 * scale**0.5)
    return float(max(1, round(90 * scale)) * DAYS + surge + negatives)


def _generate(scale: float, incidents: Sequence[Incident]) -> list[dict[str, object]]:
    days = [END - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    rows = make_insights(np.random.default_rng(SEED), days=days, scale=scale, incidents=incidents)
    rng = np.random.default_rng(SEED + 1)
    return rows + hard_negatives(rng, days=days, scale=scale, incidents=incidents)


def _rows(count: int, incidents: Sequence[Incident]) -> list[dict[str, object]]:
    """Generate at least `count` rows, then drop random background rows down to exactly `count`."""
    scale = count / (90 * DAYS)
    while _expected(scale) < count * 1.02 + 30:
        scale *= 1.01
    while True:
        rows = _generate(scale, incidents)
        if len(rows) >= count:
            break
        scale *= 1.05
    background = [i for i, r in enumerate(rows) if not r["_incident"] and "_negative" not in r]
    drop = set(np.random.default_rng(SEED).permutation(background)[: len(rows) - count].tolist())
    kept = sorted((r for i, r in enumerate(rows) if i not in drop), key=lambda r: str(r["ts"]))
    for i, row in enumerate(kept, start=1):
        row["id"] = f"ins-{i:07d}"
    return kept


def _write(rows: Sequence[dict[str, object]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            keep = {k: v for k, v in r.items() if not k.startswith("_") and v is not None}
            fh.write(json.dumps(keep) + "\n")


def _pct(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2) if values else 0.0


def _queries() -> list[dict[str, Any]]:
    """Filtered searches: journey + stage + 7-day window + one dimension, and a query text."""
    rng = np.random.default_rng(SEED)
    texts = [t for ts in BACKGROUND.values() for t in ts] + [
        t for problems, _ in SURGE.values() for t in problems
    ]
    dims = [d for d in VALUES if d != "app_version"]
    out: list[dict[str, Any]] = []
    for _ in range(QUERIES):
        j = JOURNEYS[rng.integers(len(JOURNEYS))]
        start = END - dt.timedelta(days=int(rng.integers(6, DAYS)))
        dim = dims[rng.integers(len(dims))]
        value = VALUES[dim][rng.integers(len(VALUES[dim]))]
        out.append(
            {
                "query": f"{texts[rng.integers(len(texts))]} {value}",
                "k": 10,
                "journey": j.id,
                "stage": j.stages[rng.integers(len(j.stages))].id,
                "start": start,
                "end": start + dt.timedelta(days=6),
                "where": {dim: str(value)},
            }
        )
    return out


def _timed(
    search: Callable[..., list[InsightHit]], queries: Sequence[dict[str, Any]]
) -> tuple[list[float], list[list[float]]]:
    """Time each search end to end (query embedding included); keep the distances found."""
    ms: list[float] = []
    found: list[list[float]] = []
    for q in queries:
        t0 = time.perf_counter()
        hits = search(**q)
        ms.append((time.perf_counter() - t0) * 1000)
        found.append([h.distance for h in hits])
    return ms, found


def _embed_ms(store: InsightStore, queries: Sequence[dict[str, Any]]) -> list[float]:
    out: list[float] = []
    for q in queries:
        t0 = time.perf_counter()
        store.embedder.embed([q["query"]])
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _agreement(fast: Sequence[list[float]], chroma: Sequence[list[float]]) -> float:
    """Share of queries whose ranked top-10 distances match Chroma's (ids may differ on ties)."""
    same = [
        len(a) == len(b) and bool(np.allclose(a, b, atol=1e-4))
        for a, b in zip(fast, chroma, strict=True)
    ]
    return round(float(np.mean(same)), 3) if same else 0.0


def _recall(found: Sequence[str], planted: set[str]) -> float:
    return len(set(found[:10]) & planted) / min(10, len(planted))


def _keyword_top10(store: InsightStore, inc: Incident, label: str, unit: str) -> list[str]:
    """Rank the same window candidates by BM25 of the hybrid's query words alone."""
    found = store.fetch(journey=inc.journey, stage=inc.stage, start=inc.start, end=inc.end)
    if not found:
        return []
    query = evidence_query(metric_label=label, stage=inc.stage, unit=unit, segment=inc.segment)
    scores = keyword_scores(found, query)
    order = np.argsort(-scores, kind="stable")[:10]
    return [found[i].id for i in order]


def run_insights_bench(
    *,
    count: int,
    workdir: Path | None = None,
    embedder: str = "minilm",
    progress: Callable[[str], None] | None = None,
) -> InsightsBenchReport:
    """Generate `count` demo insights, ingest them, then time search and score recall@10."""
    say = progress or (lambda _m: None)
    if embedder not in ("minilm", "hashing"):
        raise ValueError(f"unknown embedder {embedder!r}")
    kind: Literal["minilm", "hashing"] = "minilm" if embedder == "minilm" else "hashing"
    incidents = default_incidents(END)
    metrics = load_settings().metrics  # read first: a bad config fails before the long ingest
    with tempfile.TemporaryDirectory(prefix="journeyops-insights-") as tmp:
        root = workdir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        say(f"Generating {count:,} insights …")
        rows = _rows(count, incidents)
        planted = {
            inc.id: {str(r["id"]) for r in rows if r["_incident"] == inc.id} for inc in incidents
        }
        data = root / "insights.jsonl"
        _write(rows, data)
        store = InsightStore.open(path=root / "chroma", embedder=make_embedder(kind))
        say("Ingesting …")
        report = store.ingest(data)
        say("Reopening the store and loading its search index …")
        t0 = time.perf_counter()
        store = InsightStore.open(path=root / "chroma", embedder=store.embedder)
        store.index()
        load_s = time.perf_counter() - t0
        queries = _queries()
        say(f"Timing {QUERIES} filtered searches (in-process index, then Chroma's where) …")
        total, fast_found = _timed(store.search, queries)
        chroma, chroma_found = _timed(store.search_chroma, queries)
        embed = _embed_ms(store, queries)
        say("Scoring planted-evidence recall …")
        per: dict[str, tuple[float, float]] = {}
        evidence_ms: list[float] = []
        for inc in incidents:
            ids = planted[inc.id]
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
            evidence_ms.append((time.perf_counter() - t0) * 1000)
            keyword = _keyword_top10(store, inc, m.label, m.unit)
            per[inc.id] = (
                round(_recall([h.id for h in hits], ids), 3),
                round(_recall(keyword, ids), 3),
            )
    hybrid = [h for h, _ in per.values()]
    plain = [k for _, k in per.values()]
    return InsightsBenchReport(
        count=report.added,
        ingest_per_s=round(report.added / max(report.seconds, 1e-9), 1),
        query_p50_ms=_pct(total, 50),
        query_p95_ms=_pct(total, 95),
        recall_at_10=round(float(np.mean(hybrid)), 3) if hybrid else 0.0,
        keyword_recall_at_10=round(float(np.mean(plain)), 3) if plain else 0.0,
        embedder=store.embedder.name,
        query_embed_p50_ms=_pct(embed, 50),
        query_embed_p95_ms=_pct(embed, 95),
        evidence_ms=round(float(np.mean(evidence_ms)), 1) if evidence_ms else 0.0,
        per_incident=per,
        ingest_s=round(report.seconds, 2),
        index_load_s=round(load_s, 2),
        hard_negatives=sum(1 for r in rows if "_negative" in r),
        chroma_query_p50_ms=_pct(chroma, 50),
        chroma_query_p95_ms=_pct(chroma, 95),
        chroma_agreement_at_10=_agreement(fast_found, chroma_found),
    )


def render_insights_bench(report: InsightsBenchReport) -> Table:
    """Render the report as a two-column table for the terminal."""
    table = Table(title=f"Insight retrieval ({report.count:,} insights, {report.embedder})")
    table.add_column("Measure")
    table.add_column("Value", justify="right")
    table.add_row("Ingest", f"{report.ingest_per_s:,.0f} rows/s ({report.ingest_s:.1f} s)")
    table.add_row("Filtered search p50", f"{report.query_p50_ms:.1f} ms")
    table.add_row("Filtered search p95", f"{report.query_p95_ms:.1f} ms")
    table.add_row("  of which query embedding p50", f"{report.query_embed_p50_ms:.1f} ms")
    chroma = f"{report.chroma_query_p50_ms:.1f} / {report.chroma_query_p95_ms:.1f} ms"
    table.add_row("Chroma where-filtered p50 / p95", chroma)
    table.add_row("Top-10 agreement with Chroma", f"{report.chroma_agreement_at_10:.2f}")
    table.add_row("Index load on reopen", f"{report.index_load_s:.1f} s")
    table.add_row("Hard negatives in the data", f"{report.hard_negatives:,}")
    table.add_row("Evidence retrieval (mean)", f"{report.evidence_ms:.0f} ms")
    table.add_row("Recall@10 hybrid", f"{report.recall_at_10:.2f}")
    table.add_row("Recall@10 keyword (BM25)", f"{report.keyword_recall_at_10:.2f}")
    for inc, (h, k) in sorted(report.per_incident.items()):
        table.add_row(f"  {inc} hybrid / keyword", f"{h:.2f} / {k:.2f}")
    return table
