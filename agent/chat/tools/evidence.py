"""Evidence tools: customer verbatims and surging themes, fenced as untrusted data.

Customer text reaches the model only inside `fence`, and the result models refuse any
customer field that is not fenced, so no tool can hand the model raw customer words.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field

from agent.chat.tools.errors import ToolError
from agent.chat.tools.session import ToolSession
from agent.chat.tools.tool import ResultPart, ToolResult
from agent.llm.untrusted import UNTRUSTED_NOTE, fence, is_fenced
from tools.units import theme_mentions


def _fenced(text: str) -> str:
    if not is_fenced(text):
        raise ValueError("customer text must be fenced as untrusted")
    return text


FencedText = Annotated[str, AfterValidator(_fenced)]


class Quote(ResultPart):
    id: str
    source: str
    ts: str
    quote: FencedText


class Quotes(ToolResult):
    """Customer verbatims, each fenced, with the rule that they are data."""

    note: str = UNTRUSTED_NOTE
    quotes: list[Quote]


class ThemeSurge(ResultPart):
    label: FencedText
    count: int
    baseline_count: int
    lift: float
    mentions: str = ""
    insight_ids: list[str]


class Themes(ToolResult):
    """Themes of customer words whose share rose in a breakdown's window."""

    note: str = UNTRUSTED_NOTE
    themes: list[ThemeSurge]


def search_insights(
    breakdown_id: str | None = None,
    journey: str | None = None,
    stage: str | None = None,
    query: Annotated[str, Field(max_length=300)] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    k: Annotated[int, Field(ge=1, le=20)] = 5,
    *,
    session: ToolSession,
) -> Quotes:
    """Return customer quotes (untrusted data) for a breakdown, or from a filtered free search.

    Args:
        breakdown_id: Quotes chosen as evidence for this breakdown (preferred).
        journey: Free search: journey to search in.
        stage: Free search: stage to search in.
        query: Free search: what to look for.
        start: Free search: first day.
        end: Free search: last day.
        k: How many quotes to return.
    """
    if breakdown_id is not None:
        bd, _ = session.breakdown(breakdown_id)
        found = [(q.id, q.source, q.ts, q.text) for q in bd.quotes[:k]]
    else:
        if journey is None or not query:
            raise ToolError("give a breakdown_id, or a journey and a query for a free search")
        session.check_place(journey, stage)
        store = session.ctx.insights
        if store is None or store.count() == 0:
            raise ToolError("no customer insights have been ingested")
        hits = store.search(query=query, k=k, journey=journey, stage=stage, start=start, end=end)
        found = [
            (h.id, str(h.metadata.get("source", "")), str(h.metadata.get("ts", "")), h.text)
            for h in hits
        ]
    return Quotes(
        quotes=[Quote(id=i, source=src, ts=ts, quote=fence(i, text)) for i, src, ts, text in found]
    )


def theme_surges(breakdown_id: str, *, session: ToolSession) -> Themes:
    """Return the customer themes surging during a breakdown, against its baseline.

    Args:
        breakdown_id: An id returned by detect_breakdowns.
    """
    bd, _ = session.breakdown(breakdown_id)
    return Themes(
        themes=[
            ThemeSurge(
                label=fence(f"theme-{i}", t.label),
                count=t.count,
                baseline_count=t.baseline_count,
                lift=t.lift,
                mentions=theme_mentions(t),
                insight_ids=t.insight_ids,
            )
            for i, t in enumerate(bd.themes, start=1)
        ]
    )
