"""A second process that holds the embedded warehouse, for tests of sharing it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A second process that takes the warehouse (read-write or read-only) under a command name,
# says "held", and lets go when its stdin closes.
_HOLDER = """
import sys
from pathlib import Path
from store.warehouse import set_process_label
from store.warehouse._access import DuckAccess
from store.warehouse._schema import ensure_tables

set_process_label(sys.argv[3])
access = DuckAccess(Path(sys.argv[1]))
hold = access.writing(ensure_tables) if sys.argv[2] == "write" else access.reading(ensure_tables)
with hold:
    print("held", flush=True)
    sys.stdin.read()
"""


@contextmanager
def held(path: Path, mode: str, label: str) -> Iterator[subprocess.Popen[str]]:
    """Run a process that holds the warehouse until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), mode, label],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=30)
