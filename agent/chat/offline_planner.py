"""The offline planner: a deterministic investigation playbook behind the LLM protocol.

It plays the model's part in the same chat graph, calling the same registered tools a
connected model would: catalog → detect_breakdowns → localize + search_insights +
theme_surges + recommend_fixes for the top breakdown → a templated answer. It reads only
the user's words and tool results; customer text never changes what it does.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel

from agent.chat.narrate import narrate
from agent.chat.parse_question import Question, parse_question
from agent.chat.tools.breakdowns import Detection, Recommendations
from agent.chat.tools.metrics import Catalog
from agent.chat.tools.registry import REGISTRY, ToolOutcome
from agent.chat.tools.tool import ToolResult
from agent.llm.protocol import ChatMessage, ChatReply, LLMError, ToolCall, ToolSpec, Usage
from prompts import render
from store.states import ActionStatus

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R", bound=ToolResult)

_ACTIONS = re.compile(r"\b(pending|waiting|awaiting|approvals?|actions?|proposals?)\b")
_PROPOSE = re.compile(r"^\s*(?:please\s+)?(?:propose|file)\b")
_FOLLOW_UP = re.compile(
    r"\b(it|that|this|those|them|there|customers?|say|said|why|segment|cause|fix|fixes|"
    r"evidence|quotes?|more)\b"
)
_HELP = re.compile(r"^\s*(help|/help|\?|what can you do\??)\s*$")


class OfflinePlanner:
    """Answer journey questions without a model; same protocol as a connected LLM."""

    def __init__(self) -> None:
        self.usage = Usage()
        self._ids = itertools.count(1)

    def chat(self, messages: Sequence[ChatMessage], *, tools: Sequence[ToolSpec] = ()) -> ChatReply:
        """Return the next step of the playbook for the conversation so far."""
        self.usage.calls += 1
        start = max(i for i, m in enumerate(messages) if m.role == "user")
        question = messages[start].content
        done = REGISTRY.outcomes(messages[start:])
        catalog = _latest(REGISTRY.outcomes(messages), Catalog)
        if catalog is None:
            return self._call("catalog", {})
        if _HELP.match(question.lower()):
            return ChatReply(content=_help(catalog))
        lowered = question.lower()
        if _PROPOSE.match(lowered):
            return self._propose(lowered, messages, done)
        if _ACTIONS.search(lowered) and "why" not in lowered:
            if "list_actions" in {o.name for o in done}:
                return ChatReply(content=narrate(done))
            pending = any(w in lowered for w in ("pending", "waiting", "awaiting"))
            return self._call(
                "list_actions", {"status": ActionStatus.PROPOSED.value} if pending else {}
            )
        q = _understand(question, messages[:start], catalog)
        if q is None:
            return ChatReply(content=_help(catalog))
        return self._investigate(q, done)

    def structured(self, messages: Sequence[ChatMessage], *, schema: type[T]) -> T:
        """The offline planner writes no free-form structured output."""
        raise LLMError("the offline planner has no structured output; use the templates")

    def _investigate(self, q: Question, done: list[ToolOutcome]) -> ChatReply:
        detected = _latest(done, Detection)
        if detected is None:
            args: dict[str, object] = {
                k: v
                for k, v in (("journey", q.journey), ("stage", q.stage), ("metric", q.metric))
                if v
            }
            if q.as_of is not None:
                args["as_of"] = q.as_of.isoformat()
            return self._call("detect_breakdowns", args)
        found = detected.breakdowns
        asked = {o.name for o in done}
        if found and "localize" not in asked:
            bid = found[0].breakdown_id
            return self._calls(
                [
                    (name, {"breakdown_id": bid})
                    for name in ("localize", "search_insights", "theme_surges", "recommend_fixes")
                ]
            )
        if not found and q.journey and q.stage and q.metric and "compare_periods" not in asked:
            args = {"journey": q.journey, "stage": q.stage, "metric": q.metric}
            if q.as_of is not None:
                args["as_of"] = q.as_of.isoformat()
            return self._call("compare_periods", args)
        return ChatReply(content=narrate(done))

    def _propose(
        self, lowered: str, messages: Sequence[ChatMessage], done: list[ToolOutcome]
    ) -> ChatReply:
        if "propose_action" in {o.name for o in done}:
            return ChatReply(content=narrate(done))
        recs = _latest(REGISTRY.outcomes(messages), Recommendations)
        if recs is None or not recs.recommendations:
            return ChatReply(
                content="Ask about a breakdown first: I only propose fixes recommended for a "
                "breakdown with a localized cause or customer evidence."
            )
        m = re.search(r"\b(\d+)\b", lowered)
        n = int(m.group(1)) if m else 1
        options = recs.recommendations
        if not 1 <= n <= len(options):
            return ChatReply(content=f"There is no fix {n}; choose 1 to {len(options)}.")
        return self._call(
            "propose_action",
            {"breakdown_id": recs.breakdown_id, "playbook": options[n - 1].playbook},
        )

    def _call(self, name: str, args: dict[str, object]) -> ChatReply:
        return self._calls([(name, args)])

    def _calls(self, calls: list[tuple[str, dict[str, object]]]) -> ChatReply:
        return ChatReply(
            content="",
            tool_calls=[
                ToolCall(id=f"offline-{next(self._ids)}", name=n, arguments=a) for n, a in calls
            ],
            usage=Usage(calls=1),
        )


def _latest(outcomes: Sequence[ToolOutcome], kind: type[R]) -> R | None:
    for o in reversed(outcomes):
        if isinstance(o.result, kind):
            return o.result
    return None


def _understand(question: str, earlier: Sequence[ChatMessage], cat: Catalog) -> Question | None:
    today = cat.data_to or dt.date.today()

    def parse(text: str) -> Question:
        return parse_question(text, journeys=cat.journeys, metrics=cat.metric_names, today=today)

    q = parse(question)
    if q.understood:
        return q
    if not _FOLLOW_UP.search(question.lower()):
        return None
    # A follow-up ("what do customers say about it?") inherits the last question it can.
    for m in reversed(earlier):
        if m.role == "user" and (prior := parse(m.content)).understood:
            return prior
    return None


def _help(cat: Catalog) -> str:
    return render(
        "offline_help.md",
        journeys=", ".join(sorted(cat.journeys)),
        metrics=", ".join(cat.metric_names),
    )
