"""The insight retrieval benchmark on a tiny data set with the hashing embedder."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from evals.insights_bench import InsightsBenchReport, render_insights_bench, run_insights_bench
from evals.scale_bench import run_measured

KEYS = {
    "count",
    "ingest_per_s",
    "query_p50_ms",
    "query_p95_ms",
    "recall_at_10",
    "keyword_recall_at_10",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> InsightsBenchReport:
    work: Path = tmp_path_factory.mktemp("insights-bench")
    return run_insights_bench(count=1500, workdir=work, embedder="hashing")


def test_report_has_the_contract_keys(report: InsightsBenchReport) -> None:
    assert set(report.model_dump()) >= KEYS
    assert report.count == 1500
    assert report.ingest_per_s > 0
    assert 0 < report.query_p50_ms <= report.query_p95_ms


def test_recall_is_a_fraction_and_hybrid_beats_keyword(report: InsightsBenchReport) -> None:
    assert 0.0 <= report.recall_at_10 <= 1.0
    assert 0.0 <= report.keyword_recall_at_10 <= 1.0
    assert set(report.per_incident) == {"inc-1", "inc-2", "inc-3"}
    assert report.recall_at_10 >= 0.9
    assert report.recall_at_10 >= report.keyword_recall_at_10 + 0.2, "hard negatives bite"
    for hybrid, keyword in report.per_incident.values():
        assert hybrid >= keyword


def test_the_data_carry_hard_negatives(report: InsightsBenchReport) -> None:
    assert report.hard_negatives > 0
    assert report.hard_negatives < report.count // 2


def test_fast_search_agrees_with_chromas_where_filter(report: InsightsBenchReport) -> None:
    assert report.chroma_agreement_at_10 == 1.0
    assert report.chroma_query_p50_ms > 0
    assert report.reopen_first_query_ms > 0
    assert report.peak_rss_mb > 0
    assert report.store == "embedded chroma"


def test_the_bench_runs_against_a_chroma_server_with_the_same_recall(
    tmp_path: Path, report: InsightsBenchReport
) -> None:
    remote = run_insights_bench(count=1500, workdir=tmp_path, embedder="hashing", server=True)
    assert remote.store == "chroma server"
    assert remote.count == 1500
    assert remote.server_peak_rss_mb > 0
    assert remote.chroma_agreement_at_10 == 1.0
    assert remote.per_incident == report.per_incident


def test_unknown_embedder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown embedder"):
        run_insights_bench(count=10, workdir=tmp_path, embedder="word2vec")


def test_render_shows_every_measure(report: InsightsBenchReport) -> None:
    console = Console(width=120, record=True)
    console.print(render_insights_bench(report))
    text = console.export_text()
    for label in ("Ingest", "p95", "Recall@10 hybrid", "keyword", "inc-1"):
        assert label in text


def test_a_measured_child_reports_its_own_peak_not_its_spawners() -> None:
    # The bench generates its data before it spawns the measuring process; the spawner's
    # high-water mark must not show up as the child's.
    ballast = bytearray(400 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out:
        small = run_measured([sys.executable, "-c", "print('hi')"], stdout=out)
        out.seek(0)
        assert out.read() == "hi\n"
        grown = run_measured(
            [sys.executable, "-c", "b = bytearray(200 * 2**20); b[::4096] = b'1' * len(b[::4096])"],
            stdout=out,
        )
    del ballast
    assert small < 100, small
    assert 200 < grown < 300, grown
    with pytest.raises(RuntimeError, match="exit code 3"):
        run_measured([sys.executable, "-c", "raise SystemExit(3)"], stdout=sys.stdout)
