"""Graph state: facts and references only (it is checkpointed), never frames or clients."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from agent.investigate.shard import Shard
from store.findings import Breakdown


class InvestigationState(BaseModel):
    """What one investigation (a scan, or one question) knows so far."""

    as_of: dt.date | None = None
    journey: str | None = None
    stage: str | None = None
    metric: str | None = None
    shard: Shard | None = None
    series_tested: int = 0
    breakdowns: list[Breakdown] = []
    proposed: list[str] = []
    existing: list[str] = []
    notices: list[str] = []
