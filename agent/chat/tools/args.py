"""Argument models of the chat tools: what a model may pass, nothing more (extra=forbid)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from store.states import ActionStatus


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArgs(_Args):
    pass


class SeriesArgs(_Args):
    journey: str = Field(description="Journey id, e.g. 'checkout'.")
    stage: str = Field(description="Stage id within the journey, e.g. 'payment'.")
    metric: str = Field(description="Metric name from the catalog, e.g. 'conversion'.")


class QueryMetricArgs(SeriesArgs):
    start: dt.date | None = Field(None, description="First day (default: 28 days before end).")
    end: dt.date | None = Field(None, description="Last day (default: newest data).")


class ComparePeriodsArgs(SeriesArgs):
    as_of: dt.date | None = Field(None, description="Last day of the window (default: newest).")
    window_days: int | None = Field(None, ge=1, le=28, description="Window length in days.")


class DetectArgs(_Args):
    journey: str | None = Field(None, description="Only this journey.")
    stage: str | None = Field(None, description="Only this stage.")
    metric: str | None = Field(None, description="Only this metric.")
    as_of: dt.date | None = Field(None, description="Last day of the window (default: newest).")


class BreakdownArgs(_Args):
    breakdown_id: str = Field(description="An id returned by detect_breakdowns.")


class SearchArgs(_Args):
    breakdown_id: str | None = Field(
        None, description="Quotes chosen as evidence for this breakdown (preferred)."
    )
    journey: str | None = Field(None, description="Free search: journey to search in.")
    stage: str | None = Field(None, description="Free search: stage to search in.")
    query: str | None = Field(None, max_length=300, description="Free search: what to look for.")
    start: dt.date | None = None
    end: dt.date | None = None
    k: int = Field(5, ge=1, le=20)


class ListActionsArgs(_Args):
    status: ActionStatus | None = None
    journey: str | None = None


class ProposeArgs(_Args):
    breakdown_id: str = Field(description="The breakdown the fix addresses.")
    playbook: str = Field(description="A playbook recommended for it by recommend_fixes.")
