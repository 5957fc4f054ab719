"""Drop staged rows the warehouse already holds, so overlapping micro-batches load once.

A visit's row key is (ts, journey, stage, customer_id): the same customer cannot enter
the same stage twice in the same instant. Files that a streaming pipeline cuts on
overlapping time ranges, or re-sends after a retry with other bytes, then add each visit
once; the content hash (store.warehouse._load) only catches byte-identical files.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, and_, select

from store.warehouse._schema import events_clause
from store.warehouse._staging import Run
from store.warehouse._validate import CLEAN

KEY = ("ts", "journey", "stage", "customer_id")
_KNOWN = "__jo_known"
_ON = " AND ".join(f"k.{c} = c.{c}" for c in KEY)


def _drop_repeats_in_file(run: Run) -> None:
    cols = ", ".join(KEY)
    run(f"DELETE FROM {CLEAN} WHERE rowid NOT IN (SELECT min(rowid) FROM {CLEAN} GROUP BY {cols})")


def _count(run: Run) -> int:
    return int(str(run(f"SELECT count(*) FROM {CLEAN}")[0][0]))


def drop_known_rows_native(run: Run) -> int:
    """Delete staged rows whose key is already in `events` (same DuckDB); return how many.

    Only the days the file covers are compared, so the cost follows the batch, not history.
    """
    before = _count(run)
    _drop_repeats_in_file(run)
    run(
        f"DELETE FROM {CLEAN} WHERE rowid IN (SELECT c.rowid FROM {CLEAN} c JOIN events k "
        f"ON {_ON} AND k.day BETWEEN (SELECT min(day) FROM {CLEAN}) "
        f"AND (SELECT max(day) FROM {CLEAN}))"
    )
    return before - _count(run)


def drop_known_rows_streamed(staging: Connection, run: Run, target: Connection) -> int:
    """Delete staged rows whose key is already in the target warehouse; return how many."""
    before = _count(run)
    _drop_repeats_in_file(run)
    first, last = run(f"SELECT min(day), max(day) FROM {CLEAN}")[0]
    if first is None:
        return before
    t = events_clause((*KEY, "day"))
    rows = target.execute(
        select(*(t.c[k] for k in KEY)).where(and_(t.c.day >= first, t.c.day <= last))
    ).all()
    known = pd.DataFrame([tuple(r) for r in rows], columns=list(KEY))
    if known.empty:
        return before - _count(run)
    known["ts"] = pd.to_datetime(known["ts"])
    duck = staging.connection.driver_connection
    duck.register(_KNOWN, known)  # type: ignore[union-attr]
    try:
        run(
            f"DELETE FROM {CLEAN} WHERE rowid IN (SELECT c.rowid FROM {CLEAN} c "
            f"JOIN {_KNOWN} k ON {_ON})"
        )
    finally:
        duck.unregister(_KNOWN)  # type: ignore[union-attr]
    return before - _count(run)
