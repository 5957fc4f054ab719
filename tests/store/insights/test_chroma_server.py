"""The insight store on a real `chroma run` server: ingest, filtered retrieval, theme surges.

Filtering happens on the server (day keys), so the answers must equal those of the
embedded store holding the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import chromadb
import numpy as np
import pytest

from store.insights import InsightStore
from store.insights.embedding import HashingEmbedder
from store.insights.server import start, stop
from tools.insights import evidence_for_breakdown, theme_surges

WINDOW = (date(2026, 3, 25), date(2026, 3, 31))
BASELINE = (date(2026, 2, 25), date(2026, 3, 24))


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    server = start(tmp_path / "chroma-server")
    try:
        yield server.url
    finally:
        stop(server)


def _rows() -> list[dict[str, object]]:
    """A steady complaint, a surge in the app segment, its echo on the web, and noise."""
    out: list[dict[str, object]] = []
    for day in range((WINDOW[1] - BASELINE[0]).days + 1):
        d = date.fromordinal(BASELINE[0].toordinal() + day)
        surge = d >= WINDOW[0]
        for n, (text, channel, tag, stage) in enumerate(
            [
                ("the reset email went to spam", "app", "const", "payment"),
                ("payment failed on the app", "web", "echo", "payment"),
                ("app problem: dark mode broken", "app", "look", "payment"),
                ("parcel label would not print", "web", "other", "label"),
                *([("payment failed on the app", "app", "surge", "payment")] * (3 if surge else 0)),
            ]
        ):
            out.append(
                {
                    "id": f"{tag}-{day}-{n}",
                    "ts": f"{d}T{10 + n}:00:00Z",
                    "journey": "checkout",
                    "stage": stage,
                    "source": "ticket" if n % 2 else "survey",
                    "text": f"{text} {n}" if n % 2 else text,
                    "channel": channel,
                }
            )
    return out


def _stores(tmp_path: Path, url: str) -> tuple[InsightStore, InsightStore]:
    data = tmp_path / "insights.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _rows()), encoding="utf-8")
    remote = InsightStore.open(path=None, url=url, embedder=HashingEmbedder())
    local = InsightStore.open(path=tmp_path / "embedded", embedder=HashingEmbedder())
    report = remote.ingest(data)
    assert report.added == len(_rows()) == local.ingest(data).added
    assert remote.ingest(data).added == 0, "a re-ingest adds nothing"
    return remote, local


SEARCHES: list[dict[str, object]] = [
    {"journey": "checkout", "stage": "payment", "start": WINDOW[0], "end": WINDOW[1]},
    {"journey": "checkout", "start": WINDOW[0], "end": WINDOW[1], "where": {"channel": "app"}},
    {
        "journey": "checkout",
        "stage": "payment",
        "start": WINDOW[0],
        "end": WINDOW[1],
        "source": "ticket",
    },
    {"journey": "checkout", "stage": "label", "start": BASELINE[0], "end": BASELINE[1]},
    {"journey": "checkout", "where": {"channel": "web"}},
    {"stage": "payment", "source": "survey"},
    {"journey": "returns", "start": WINDOW[0], "end": WINDOW[1]},
]


def test_filtered_search_and_fetch_on_the_server_equal_the_embedded_store(
    tmp_path: Path, server_url: str
) -> None:
    remote, local = _stores(tmp_path, server_url)
    for filters in SEARCHES:
        mine = remote.search(query="payment failed", k=15, **filters)  # type: ignore[arg-type]
        ref = local.search(query="payment failed", k=15, **filters)  # type: ignore[arg-type]
        assert [round(h.distance, 5) for h in mine] == [round(h.distance, 5) for h in ref], filters
        # Equal texts tie; which of them fills the last places is the index's choice.
        cut = round(ref[-1].distance, 5) if ref else 0.0
        assert {h.id for h in mine if round(h.distance, 5) < cut} == {
            h.id for h in ref if round(h.distance, 5) < cut
        }
    window = remote.fetch(journey="checkout", stage="payment", start=WINDOW[0], end=WINDOW[1])
    assert len(window) == 7 * 6 and all(r.metadata["stage"] == "payment" for r in window)
    assert [r.id for r in window] == [
        r.id
        for r in local.fetch(journey="checkout", stage="payment", start=WINDOW[0], end=WINDOW[1])
    ]
    # Another client of the same server sees the rows with no reload step.
    other = InsightStore.open(path=None, url=server_url, embedder=HashingEmbedder())
    assert other.count() == len(_rows())
    assert [r.id for r in other.get(["surge-30-4", "nope"])] == ["surge-30-4"]


def test_theme_surge_and_evidence_come_from_the_server(tmp_path: Path, server_url: str) -> None:
    remote, _ = _stores(tmp_path, server_url)
    surges = theme_surges(
        remote, journey="checkout", stage="payment", window=WINDOW, baseline=BASELINE
    )
    assert surges and ("payment" in surges[0].label or "failed" in surges[0].label)
    assert all(q.startswith("surge-") for q in surges[0].quote_ids)
    assert not [s for s in surges if "spam" in s.label]
    hits = evidence_for_breakdown(
        remote,
        journey="checkout",
        stage="payment",
        metric_label="Conversion",
        segment={"channel": "app"},
        start=WINDOW[0],
        end=WINDOW[1],
        k=10,
        baseline=BASELINE,
    )
    assert [h.id.split("-")[0] for h in hits] == ["surge"] * 10


def test_a_window_in_a_large_collection_is_ranked_exactly(tmp_path: Path, server_url: str) -> None:
    """Chroma's filtered HNSW search misses neighbours of a window that is a small share of
    a large collection; the store reads the window by its day keys and ranks it here."""
    parts = server_url.rsplit(":", 1)
    client = chromadb.HttpClient(host="127.0.0.1", port=int(parts[1]))
    # A coarse graph makes the miss show at ten thousand rows instead of a million.
    col = client.create_collection(
        "insights",
        embedding_function=None,
        metadata={"hnsw:space": "cosine", "embedder": HashingEmbedder().name, "day_keys": 1},
        configuration={"hnsw": {"ef_search": 4, "max_neighbors": 4, "ef_construction": 10}},
    )
    rng = np.random.default_rng(1)
    words = [
        "payment",
        "failed",
        "app",
        "card",
        "declined",
        "checkout",
        "slow",
        "page",
        "crashed",
        "delivery",
        "late",
    ]
    noise = [" ".join(rng.choice(words, 4)) for _ in range(10_000)]
    vectors = HashingEmbedder().embed(noise)
    for at in range(0, len(noise), 2_000):
        col.add(
            ids=[f"n{n}" for n in range(at, at + 2_000)],
            embeddings=vectors[at : at + 2_000],
            documents=noise[at : at + 2_000],
            metadatas=[{"journey": "returns", "stage": "x", "jsd": "returns/x/2026-03-01"}] * 2_000,
        )
    rows = [
        {
            "id": f"w{n}",
            "ts": f"2026-03-{25 + n % 7}T10:00:00Z",
            "journey": "checkout",
            "stage": "payment",
            "source": "ticket",
            "text": " ".join(rng.choice(words, 4)),
        }
        for n in range(2_500)
    ]
    data = tmp_path / "window.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    store = InsightStore.open(path=None, url=server_url, embedder=HashingEmbedder())
    assert store.ingest(data).added == len(rows)
    window = store.fetch(
        journey="checkout", stage="payment", start=WINDOW[0], end=WINDOW[1], with_embeddings=True
    )
    matrix = np.vstack([r.embedding for r in window if r.embedding is not None])
    assert len(window) == len(rows) == len(matrix)
    for query in ["payment failed", "card declined", "page crashed", "delivery late", "slow app"]:
        hits = store.search(
            query=query, k=10, journey="checkout", stage="payment", start=WINDOW[0], end=WINDOW[1]
        )
        exact = np.sort(1.0 - matrix @ store.embedder.embed([query])[0])[:10]
        assert np.allclose([h.distance for h in hits], exact, atol=1e-5), query
