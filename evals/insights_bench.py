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
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel
from rich.table import Table

from agent.config import load_settings
from evals.demo import Incident, default_incidents
from evals.demo._events import VALUES
from evals.demo._journeys import JOURNEYS
from evals.demo._text import BACKGROUND, SURGE, hard_negatives
from evals.demo._text import insights as make_insights
from evals.scale_bench import run_measured
from store.insights.server import start as start_chroma
from store.insights.server import stop as stop_chroma

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
    exact_agreement_at_10: float = 0.0
    query_embed_p50_ms: float = 0.0
    query_embed_p95_ms: float = 0.0
    evidence_ms: float = 0.0
    per_incident: dict[str, tuple[float, float]] = {}
    ingest_s: float = 0.0
    reopen_first_query_ms: float = 0.0
    peak_rss_mb: float = 0.0
    server_peak_rss_mb: float = 0.0
    store: str = ""


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


def queries() -> list[dict[str, Any]]:
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


def run_insights_bench(
    *,
    count: int,
    workdir: Path | None = None,
    embedder: str = "minilm",
    url: str = "",
    server: bool = False,
    progress: Callable[[str], None] | None = None,
) -> InsightsBenchReport:
    """Generate `count` demo insights, ingest them, then time search and score recall@10.

    Ingest and queries run in a child process, so `peak_rss_mb` is the journeyops process
    alone (the generator's rows are not in it). With `server` a `chroma run` is started in
    the work folder (or `url` names a running one); otherwise the store is embedded.
    """
    say = progress or (lambda _m: None)
    if embedder not in ("minilm", "hashing"):
        raise ValueError(f"unknown embedder {embedder!r}")
    load_settings()  # read first: a bad config fails before the long ingest
    incidents = default_incidents(END)
    with tempfile.TemporaryDirectory(prefix="journeyops-insights-") as tmp:
        root = workdir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        say(f"Generating {count:,} insights …")
        rows = _rows(count, incidents)
        planted = {
            inc.id: sorted(str(r["id"]) for r in rows if r["_incident"] == inc.id)
            for inc in incidents
        }
        negatives = sum(1 for r in rows if "_negative" in r)
        _write(rows, root / "insights.jsonl")
        del rows
        (root / "planted.json").write_text(json.dumps(planted), encoding="utf-8")
        started = start_chroma(root / "chroma-server") if server and not url else None
        target = url or (started.url if started else "")
        try:
            say("Ingesting, then timing filtered searches and scoring recall (child process) …")
            figures, rss = _child(root, target, embedder)
            server_rss = _peak_rss_of(started.pid) if started else 0.0
        finally:
            if started is not None:
                stop_chroma(started)
    return InsightsBenchReport.model_validate(
        figures
        | {
            "hard_negatives": negatives,
            "peak_rss_mb": round(rss, 1),
            "server_peak_rss_mb": round(server_rss, 1),
            "store": "chroma server" if target else "embedded chroma",
        }
    )


def _child(root: Path, url: str, embedder: str) -> tuple[dict[str, Any], float]:
    """Run the measuring process; return its figures and its own peak RSS in MB."""
    cmd = [sys.executable, "-m", "evals._insights_measure", str(root), url or "-", embedder]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out:
        rss = run_measured(cmd, stdout=out)
        out.seek(0)
        return json.loads(out.read().strip().splitlines()[-1]), rss


def _peak_rss_of(pid: int) -> float:
    """Return a running process's peak RSS in MB (Linux VmHWM), 0 when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return 0.0
    return 0.0


def render_insights_bench(report: InsightsBenchReport) -> Table:
    """Render the report as a two-column table for the terminal."""
    title = f"Insight retrieval ({report.count:,} insights, {report.embedder}, {report.store})"
    table = Table(title=title)
    table.add_column("Measure")
    table.add_column("Value", justify="right")
    table.add_row("Ingest", f"{report.ingest_per_s:,.0f} rows/s ({report.ingest_s:.1f} s)")
    table.add_row("Filtered search p50", f"{report.query_p50_ms:.1f} ms")
    table.add_row("Filtered search p95", f"{report.query_p95_ms:.1f} ms")
    table.add_row("  of which query embedding p50", f"{report.query_embed_p50_ms:.1f} ms")
    chroma = f"{report.chroma_query_p50_ms:.1f} / {report.chroma_query_p95_ms:.1f} ms"
    table.add_row("Chroma's own where + nearest p50 / p95", chroma)
    table.add_row("Top-10 agreement with Chroma's", f"{report.chroma_agreement_at_10:.2f}")
    table.add_row("Top-10 agreement with exact ranking", f"{report.exact_agreement_at_10:.2f}")
    table.add_row("First search after reopening", f"{report.reopen_first_query_ms:.0f} ms")
    table.add_row("Peak RSS of the journeyops process", f"{report.peak_rss_mb:,.0f} MB")
    if report.server_peak_rss_mb:
        table.add_row("Peak RSS of the Chroma server", f"{report.server_peak_rss_mb:,.0f} MB")
    table.add_row("Hard negatives in the data", f"{report.hard_negatives:,}")
    table.add_row("Evidence retrieval (mean)", f"{report.evidence_ms:.0f} ms")
    table.add_row("Recall@10 hybrid", f"{report.recall_at_10:.2f}")
    table.add_row("Recall@10 keyword (BM25)", f"{report.keyword_recall_at_10:.2f}")
    for inc, (h, k) in sorted(report.per_incident.items()):
        table.add_row(f"  {inc} hybrid / keyword", f"{h:.2f} / {k:.2f}")
    return table
