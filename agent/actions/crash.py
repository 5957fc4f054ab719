"""Named crash points: kill -9 this process at a chosen step, for crash-recovery tests.

Set `JOURNEYOPS_CRASH_AT=name` (or `name@N` to die the N-th time the point is reached) and
the process sends itself SIGKILL there: no cleanup, no flushed buffers, no rollback, just
like a power cut. Unset (always, outside tests), a crash point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "JOURNEYOPS_CRASH_AT"

# Every named point between an approval and its recorded delivery, in the order reached.
POINTS = (
    "after_decision",  # the approving decision committed; the graph thread not yet resumed
    "claim_before_commit",  # outbox rows leased inside the claiming transaction, not committed
    "after_claim",  # the lease committed; nothing sent yet
    "before_send",  # an HTTP request built, about to go on the wire
    "after_send",  # the receiver answered (headers in, effect applied), body not yet read
    "after_response",  # one attempt's answer read, not yet recorded anywhere
    "retry_backoff",  # between two attempts, waiting out the backoff or Retry-After
    "before_finish",  # delivery over, its result not yet written
    "finish_before_commit",  # result and audit events written, transaction not committed
    "after_finish",  # result committed; the graph thread not yet told
    "graph_after_dispatch",  # the graph's dispatch node ran; its checkpoint not yet written
)

_hits: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Die with SIGKILL here if `JOURNEYOPS_CRASH_AT` names this point (and hit count)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, nth = spec.partition("@")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(nth or "1"):
        os.kill(os.getpid(), signal.SIGKILL)
