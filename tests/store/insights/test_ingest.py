"""Insight ingest is all or nothing per file, a write failing part way (a full disk) included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from store.insights import InsightStore, ids_in
from store.insights.embedding import HashingEmbedder

# The child writes until its files may grow no more (RLIMIT_FSIZE: writes past the size
# fail as on a full disk), then reports what it saw; the parent reopens the store.
_CHILD = """
import resource, signal, sys
from pathlib import Path
from store.insights import InsightStore
from store.insights.embedding import HashingEmbedder

db, src, room = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
store = InsightStore.open(path=db, embedder=HashingEmbedder())
biggest = max(p.stat().st_size for p in db.rglob("*") if p.is_file())
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (biggest + room, resource.RLIM_INFINITY))
seen = []
try:
    store.ingest(src, progress=lambda done, total: seen.append(store.count()))
    print("ingested", max(seen))
except Exception as exc:
    print("failed", max(seen), type(exc).__name__)
"""


def _rows(path: Path, n: int, prefix: str) -> Path:
    text = "slow approval and nobody calls back " * 8
    path.write_text(
        "".join(
            json.dumps({"id": f"{prefix}{i}", "ts": "2026-03-02", "journey": "loans", "text": text})
            + "\n"
            for i in range(n)
        ),
        encoding="utf-8",
    )
    return path


def test_a_file_whose_write_fails_part_way_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = InsightStore.open(path=db, embedder=HashingEmbedder())
    store.ingest(_rows(tmp_path / "before.jsonl", 3, "old"))
    del store
    big = _rows(tmp_path / "big.jsonl", 6000, "new")
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(db), str(big), str(14_000_000)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    verdict, written, *_ = child.stdout.split()
    assert verdict == "failed", child.stdout + child.stderr
    assert int(written) > 3, "the failure came before any chunk was written: raise the room"
    reopened = InsightStore.open(path=db, embedder=HashingEmbedder())
    assert reopened.count() == 3
    kept = reopened.get(["old0", "old1", "old2", "new0"])
    assert [r.id for r in kept] == ["old0", "old1", "old2"]


def test_remove_by_id_and_by_file(tmp_path: Path) -> None:
    store = InsightStore.open(path=tmp_path / "db", embedder=HashingEmbedder())
    first = _rows(tmp_path / "a.jsonl", 4, "a")
    store.ingest(first)
    store.ingest(_rows(tmp_path / "b.jsonl", 2, "b"))
    assert store.remove(["a0", "zz"]) == 1
    assert store.remove(ids_in(first)) == 3
    assert sorted(r.id for r in store.get(["a1", "b0", "b1"])) == ["b0", "b1"]
