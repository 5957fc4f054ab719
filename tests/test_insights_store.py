from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from store.embedding import HashingEmbedder
from store.errors import InputError
from store.insights import InsightStore


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


def test_search_applies_filters_inside_chroma(tmp_path: Path) -> None:
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
