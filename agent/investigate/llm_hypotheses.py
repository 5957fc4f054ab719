"""Model-written hypotheses for the investigation graph, held to the grounding guard.

The model sees a breakdown's numbers and its fenced customer quotes and writes one
statement per localized cause. A statement must only use numbers from those facts and
cite insight ids that exist; otherwise it is asked once more, then the templated
hypothesis stands and the event is recorded as a notice of the run.
"""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel, Field

from agent.llm.grounding import check, sources_from
from agent.llm.protocol import LLM, ChatMessage, LLMError
from agent.llm.untrusted import UNTRUSTED_NOTE, fence
from store.catalog import MetricDef
from store.findings import Breakdown, Hypothesis
from tools.units import format_p, format_segment, format_share, format_value, theme_mentions

log = logging.getLogger("journeyops.hypotheses")


class HypothesisDraft(BaseModel):
    """What the model returns for one breakdown."""

    statements: list[str] = Field(description="One root-cause hypothesis per cause, best first.")
    insight_ids: list[str] = Field(default=[], description="Ids of the quotes the statements cite.")


def facts_for(bd: Breakdown, metric: MetricDef) -> dict[str, object]:
    """Return the numbers and evidence a model may use for this breakdown."""
    return {
        "journey": bd.journey,
        "stage": bd.stage,
        "metric": metric.label,
        "window": f"{bd.window.start}..{bd.window.end}",
        "expected": format_value(metric, bd.baseline),
        "current": format_value(metric, bd.current),
        "visits": round(bd.visits),
        "p_value": bd.p_value,
        "significance": format_p(bd.p_value),
        "loss_per_week": f"{bd.impact.currency} {bd.impact.per_week:,.0f}",
        "causes": [
            {
                "segment": format_segment(c.segment),
                "kind": c.kind,
                "explained_share": format_share(c.explained_share),
                "before": format_value(metric, c.baseline),
                "now": format_value(metric, c.current),
                "visits": round(c.visits),
            }
            for c in bd.causes[:2]
        ],
        "customer_quotes": [fence(q.id, q.text) for q in bd.quotes[:5]],
        "themes": [
            {
                "label": fence(f"theme-{i}", t.label),
                "count": t.count,
                "lift": t.lift,
                "mentions": theme_mentions(t),
            }
            for i, t in enumerate(bd.themes[:3], start=1)
        ],
    }


def model_hypotheses(
    llm: LLM, bd: Breakdown, metric: MetricDef, templated: list[Hypothesis]
) -> tuple[list[Hypothesis], str | None]:
    """Return model-written hypotheses (or the templated ones) and a notice if it fell back."""
    facts = facts_for(bd, metric)
    valid_ids = {q.id for q in bd.quotes} | {i for t in bd.themes for i in t.insight_ids}
    messages = [
        ChatMessage(
            role="system",
            content=(
                "Write root-cause hypotheses for a journey breakdown from the facts given. "
                "Use only numbers that appear in the facts, cite customer quotes by id in "
                f"square brackets, and never compute new numbers. {UNTRUSTED_NOTE}"
            ),
        ),
        ChatMessage(role="user", content=json.dumps(facts, ensure_ascii=False)),
    ]
    problem = ""
    for _attempt in range(2):
        try:
            draft = llm.structured(messages, schema=HypothesisDraft)
        except LLMError as exc:
            problem = f"model error: {exc}"
            break
        report = check("\n".join(draft.statements), sources_from([facts]))
        unknown = [i for i in draft.insight_ids if i not in valid_ids]
        if report.ok and not unknown and draft.statements:
            return _merge(templated, draft, valid_ids), None
        problem = report.describe() or f"cited ids that do not exist: {', '.join(unknown)}"
        messages.append(
            ChatMessage(
                role="user",
                content=f"Rejected: {problem}. Use only numbers and ids from the facts.",
            )
        )
    notice = f"{bd.journey}/{bd.stage} {bd.metric}: kept the templated hypothesis ({problem})"
    log.warning(notice)
    return templated, notice


def _merge(
    templated: list[Hypothesis], draft: HypothesisDraft, valid: set[str]
) -> list[Hypothesis]:
    out: list[Hypothesis] = []
    for i, statement in enumerate(draft.statements[: max(len(templated), 1)]):
        base = templated[min(i, len(templated) - 1)]
        cited = [x for x in draft.insight_ids if x in valid] if i == 0 else []
        ids = cited + [x for x in base.evidence.insight_ids if x not in cited]
        out.append(
            base.model_copy(
                update={
                    "statement": statement,
                    "evidence": base.evidence.model_copy(update={"insight_ids": ids}),
                }
            )
        )
    return out
