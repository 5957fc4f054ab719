from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from store.errors import InputError
from store.insights import InsightStore
from store.insights.embedding import HashingEmbedder, Vectors
from tools.insights import evidence_for_breakdown, theme_surges


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting how many texts it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        return super().embed(texts)


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _row(i: int, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": f"i{i}",
        "ts": f"2026-03-{i + 1:02d}T00:00:00Z",
        "journey": "checkout",
        "stage": "payment",
        "source": "ticket",
        "text": f"card declined {i}",
        "channel": "mobile",
    }
    return base | kw


def _varied(i: int) -> dict[str, object]:
    """Rows whose journey, stage, source and channel vary independently with i."""
    return _row(
        i,
        journey="checkout" if i % 2 else "returns",
        stage=["payment", "review", "confirmation"][i % 3],
        source=["ticket", "survey"][(i // 2) % 2],
        channel="web" if i % 5 else "app",
        text=f"card declined at step {i}",
    )


@pytest.fixture
def store(tmp_path: Path) -> InsightStore:
    s = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    s.ingest(_write(tmp_path / "a.jsonl", [_varied(i) for i in range(30)]))
    return s


def test_reingest_adds_nothing_and_reopen_finds_rows(tmp_path: Path) -> None:
    f = _write(tmp_path / "a.jsonl", [_row(i) for i in range(5)])
    store = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    assert store.ingest(f).added == 5
    assert store.ingest(f).skipped_existing == 5
    again = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    assert again.count() == 5


def test_bad_row_names_line_and_field_and_writes_nothing(tmp_path: Path) -> None:
    f = _write(tmp_path / "a.jsonl", [_row(0), _row(1, ts="yesterday")])
    store = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    with pytest.raises(InputError) as exc:
        store.ingest(f)
    assert (exc.value.line, exc.value.field) == (2, "ts")
    assert store.count() == 0


def test_search_applies_filters(tmp_path: Path) -> None:
    rows = [_row(i, channel="web" if i % 2 else "mobile") for i in range(10)]
    store = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    store.ingest(_write(tmp_path / "a.jsonl", rows))
    hits = store.search(
        query="card declined",
        k=10,
        journey="checkout",
        start=date(2026, 3, 3),
        end=date(2026, 3, 6),
        where={"channel": "web"},
    )
    assert sorted(h.id for h in hits) == ["i3", "i5"]


FILTERS: list[tuple[str, dict[str, object], set[int]]] = [
    ("journey", {"journey": "returns"}, {i for i in range(30) if i % 2 == 0}),
    ("stage", {"stage": "review"}, {i for i in range(30) if i % 3 == 1}),
    ("source", {"source": "survey"}, {i for i in range(30) if (i // 2) % 2}),
    ("start", {"start": date(2026, 3, 25)}, set(range(24, 30))),
    ("end", {"end": date(2026, 3, 3)}, {0, 1, 2}),
    ("dimension", {"where": {"channel": "app"}}, {0, 5, 10, 15, 20, 25}),
    ("unknown value", {"where": {"channel": "fax"}}, set()),
    ("unknown dimension", {"where": {"plan": "basic"}}, set()),
    (
        "all at once",
        {
            "journey": "checkout",
            "stage": "payment",
            "source": "survey",
            "start": date(2026, 3, 2),
            "end": date(2026, 3, 30),
            "where": {"channel": "web"},
        },
        {3, 27},
    ),
]


@pytest.mark.parametrize(("name", "filters", "expected"), FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_kind_matches_chroma(
    store: InsightStore, name: str, filters: dict[str, object], expected: set[int]
) -> None:
    fast = store.search(query="card declined", k=50, **filters)  # type: ignore[arg-type]
    chroma = store.search_chroma(query="card declined", k=50, **filters)  # type: ignore[arg-type]
    assert {h.id for h in fast} == {f"i{i}" for i in expected}
    assert {h.id for h in chroma} == {h.id for h in fast}
    assert [round(h.distance, 5) for h in fast] == [round(h.distance, 5) for h in chroma]


def test_fetch_filters_and_returns_stored_vectors(store: InsightStore) -> None:
    got = store.fetch(journey="checkout", stage="payment", with_embeddings=True)
    assert [r.id for r in got] == [f"i{i}" for i in range(30) if i % 2 and i % 3 == 0]
    expected = store.embedder.embed([r.text for r in got])
    assert np.allclose(np.vstack([r.embedding for r in got if r.embedding is not None]), expected)
    assert all(r.embedding is None for r in store.fetch(journey="checkout", limit=3))
    assert len(store.fetch(journey="checkout", limit=3)) == 3


def test_reopen_reads_stored_vectors_without_re_embedding(tmp_path: Path) -> None:
    first = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    first.ingest(_write(tmp_path / "a.jsonl", [_varied(i) for i in range(30)]))
    counting = CountingEmbedder()
    again = InsightStore.open(path=tmp_path / "db", embedder=counting)
    assert len(again.fetch(journey="checkout", with_embeddings=True)) == 15
    assert counting.texts == 0
    hits = again.search(query="card declined at step 7", k=1, journey="checkout")
    assert [h.id for h in hits] == ["i7"]
    assert counting.texts == 1


def test_searches_see_new_rows_and_known_ids_keep_their_first_row(tmp_path: Path) -> None:
    store = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    store.ingest(_write(tmp_path / "a.jsonl", [_row(i) for i in range(5)]))
    assert len(store.search(query="card", k=50, journey="checkout")) == 5
    store.ingest(_write(tmp_path / "b.jsonl", [_row(i, channel="web") for i in range(3, 9)]))
    fast = store.search(query="card declined 8", k=50, journey="checkout")
    chroma = store.search_chroma(query="card declined 8", k=50, journey="checkout")
    assert fast[0].id == "i8"
    assert {h.id for h in fast} == {h.id for h in chroma} == {f"i{i}" for i in range(9)}
    web = store.search(query="card", k=50, where={"channel": "web"})
    assert {h.id for h in web} == {"i5", "i6", "i7", "i8"}, "existing ids keep their first row"


def test_a_reader_sees_another_writers_rows_at_once(tmp_path: Path) -> None:
    reader = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    reader.ingest(_write(tmp_path / "a.jsonl", [_row(i) for i in range(3)]))
    assert len(reader.search(query="card", k=50)) == 3
    writer = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    writer.ingest(_write(tmp_path / "b.jsonl", [_row(i, source="chat") for i in range(3, 6)]))
    hits = reader.search(
        query="card", k=50, journey="checkout", start=date(2026, 3, 1), end=date(2026, 3, 31)
    )
    assert {h.id for h in hits} == {f"i{i}" for i in range(6)}
    assert {h.id for h in reader.search(query="card", k=50, source="chat")} == {"i3", "i4", "i5"}


def test_customer_fields_cannot_forge_the_day_keys(tmp_path: Path) -> None:
    store = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    forged = _row(1, jsd="returns/refund/2026-03-02", jd="returns/2026-03-02")
    with pytest.raises(InputError, match=r"a.jsonl:1: field 'jsd': reserved name"):
        store.ingest(_write(tmp_path / "a.jsonl", [forged]))
    assert store.count() == 0


@pytest.mark.parametrize("key", ["ts_epoch", "original_sha256", "chroma:document", "#embedding"])
def test_a_customer_field_named_like_internal_metadata_is_refused(tmp_path: Path, key: str) -> None:
    store = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    rows = [_row(1), _row(2, **{key: "not-a-number"})]
    with pytest.raises(InputError, match=rf"a.jsonl:2: field '{key}': reserved name"):
        store.ingest(_write(tmp_path / "a.jsonl", rows))
    assert store.count() == 0


def test_customer_dimensions_are_namespaced_and_read_back_plain(tmp_path: Path) -> None:
    store = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    store.ingest(_write(tmp_path / "a.jsonl", [_row(1, region="north", score_band="low")]))
    (record,) = store.get(["i1"])
    assert record.metadata["region"] == "north" and record.metadata["channel"] == "mobile"
    assert isinstance(record.metadata["ts_epoch"], int)
    hits = store.search(query="card", k=5, where={"region": "north"})
    assert [h.id for h in hits] == ["i1"]
    assert store.search(query="card", k=5, where={"region": "south"}) == []


def _daily(
    text: str, first: date, last: date, per_day: int, tag: str, **kw: object
) -> list[dict[str, object]]:
    days = (last - first).days + 1
    return [
        _row(
            0, id=f"{tag}-{d}-{n}", ts=f"{date.fromordinal(first.toordinal() + d)}T{10 + n}:00:00Z"
        )
        | {"text": f"{text} {n}" if n % 2 else text}
        | kw
        for d in range(days)
        for n in range(per_day)
    ]


WINDOW = (date(2026, 3, 25), date(2026, 3, 31))
BASELINE = (date(2026, 2, 25), date(2026, 3, 24))


@pytest.fixture
def surge_store(tmp_path: Path) -> InsightStore:
    rows = (
        _daily("the reset email went to spam", BASELINE[0], WINDOW[1], 2, "const", channel="app")
        + _daily("payment failed on the app", WINDOW[0], WINDOW[1], 3, "surge", channel="app")
        + _daily("payment failed on the app", BASELINE[0], WINDOW[1], 2, "echo", channel="web")
        + _daily("app problem: dark mode broken", BASELINE[0], WINDOW[1], 1, "look", channel="app")
    )
    s = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    s.ingest(_write(tmp_path / "s.jsonl", rows))
    return s


def test_a_planted_surge_is_a_theme_and_a_constant_theme_is_not(surge_store: InsightStore) -> None:
    surges = theme_surges(
        surge_store, journey="checkout", stage="payment", window=WINDOW, baseline=BASELINE
    )
    assert surges, "the surge was not found"
    assert "payment" in surges[0].label or "failed" in surges[0].label
    assert all(q.startswith("surge-") for q in surges[0].quote_ids)
    assert not [s for s in surges if "spam" in s.label]


def test_evidence_prefers_the_new_in_segment_complaint(surge_store: InsightStore) -> None:
    hits = evidence_for_breakdown(
        surge_store,
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
