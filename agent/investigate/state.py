"""Graph state: facts and references only (it is checkpointed), never frames or clients.

`InvestigationState` is what the graph holds; `InvestigationUpdate` is what a node
returns: the same keys, each optional, so a misspelt key fails mypy.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from pydantic import BaseModel

from agent.investigate.shard import Shard
from store.findings import Breakdown, Incident, Suppressed


class InvestigationState(BaseModel):
    """What one investigation (a scan, or one question) knows so far."""

    as_of: dt.date | None = None
    journey: str | None = None
    stage: str | None = None
    metric: str | None = None
    shard: Shard | None = None
    series_tested: int = 0
    breakdowns: list[Breakdown] = []
    incidents: list[Incident] = []
    suppressed: list[Suppressed] = []
    proposed: list[str] = []
    existing: list[str] = []
    notices: list[str] = []


class InvestigationUpdate(TypedDict, total=False):
    """The keys of `InvestigationState` a node changes, with the same types."""

    as_of: dt.date | None
    journey: str | None
    stage: str | None
    metric: str | None
    shard: Shard | None
    series_tested: int
    breakdowns: list[Breakdown]
    incidents: list[Incident]
    suppressed: list[Suppressed]
    proposed: list[str]
    existing: list[str]
    notices: list[str]
