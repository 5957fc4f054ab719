"""The embedded insight store, shared by processes: a reader sees another process's adds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from store.insights import InsightStore
from store.insights.embedding import HashingEmbedder

_ADD = """
import sys
from pathlib import Path
from store.insights import InsightStore
from store.insights.embedding import HashingEmbedder

store = InsightStore.open(path=Path(sys.argv[1]), embedder=HashingEmbedder())
print(store.ingest(Path(sys.argv[2])).added)
"""


def _insights(path: Path, ids: range, text: str) -> Path:
    rows = [
        {
            "id": f"ins-{i}",
            "ts": f"2026-03-{i + 1:02d}T09:00:00Z",
            "journey": "checkout",
            "stage": "payment",
            "source": "ticket",
            "text": f"{text} {i}",
        }
        for i in ids
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _add_elsewhere(chroma_dir: Path, file: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _ADD, str(chroma_dir), str(file)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(out.stdout.strip().splitlines()[-1])


def test_rows_another_process_adds_show_in_the_next_search(tmp_path: Path) -> None:
    chroma_dir = tmp_path / "chroma"
    store = InsightStore.open(path=chroma_dir, embedder=HashingEmbedder())
    store.ingest(_insights(tmp_path / "a.jsonl", range(0, 5), "card declined"))
    before = store.search_chroma(query="courier lost my parcel", k=50)
    assert {h.id for h in before} == {f"ins-{i}" for i in range(5)}

    added = _add_elsewhere(chroma_dir, _insights(tmp_path / "b.jsonl", range(5, 9), "parcel lost"))

    assert added == 4
    after = store.search_chroma(query="courier lost my parcel", k=50)
    assert {h.id for h in after} == {f"ins-{i}" for i in range(9)}
    assert store.count() == 9


def test_a_store_that_wrote_last_keeps_its_collection(tmp_path: Path) -> None:
    chroma_dir = tmp_path / "chroma"
    store = InsightStore.open(path=chroma_dir, embedder=HashingEmbedder())
    store.ingest(_insights(tmp_path / "a.jsonl", range(0, 3), "card declined"))
    first = store._col
    store.ingest(_insights(tmp_path / "b.jsonl", range(3, 6), "card declined"))
    assert store._col is first
    assert len(store.search_chroma(query="card declined", k=10)) == 6
