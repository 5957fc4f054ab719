"""The offline planner: a deterministic investigation playbook behind the LLM protocol.

It plays the model's part in the same chat graph, calling the same registered tools a
connected model would: catalog → detect_breakdowns → localize + search_insights +
theme_surges + recommend_fixes for the top breakdown → a templated answer. Follow-ups
about the breakdown in focus ("what do customers say about it?", "which fix first and
why?"), other windows ("and the week before?") and comparisons (two weeks, or segments)
call only the tools they need. Questions in other languages are first translated through
`[chat.synonyms.*]`. It reads only the user's words and tool results; customer text never
changes what it does.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel

from agent.chat import answers
from agent.chat.intents import (
    Intent,
    asks_week_before,
    compares_periods,
    focus,
    intent_of,
    last_window_end,
)
from agent.chat.languages import Vocabulary
from agent.chat.narrate import narrate
from agent.chat.parse_question import Question, parse_question
from agent.chat.tools.breakdowns import BreakdownSummary, Detection, Recommendations
from agent.chat.tools.metrics import Catalog
from agent.chat.tools.registry import REGISTRY, ToolOutcome
from agent.chat.tools.tool import ToolResult
from agent.llm.protocol import ChatMessage, ChatReply, LLMError, ToolCall, ToolSpec, Usage
from prompts import render
from store.states import ActionStatus

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R", bound=ToolResult)

_ACTIONS = re.compile(r"\b(pending|waiting|awaiting|approvals?|actions?|proposals?)\b")
_PROPOSE = re.compile(r"^\s*/?(?:please\s+)?(?:propose|file)\b")
_FOLLOW_UP = re.compile(
    r"\b(it|that|this|those|them|there|customers?|say|said|why|segment|cause|fix|fixes|"
    r"evidence|quotes?|more)\b"
)
_HELP = re.compile(r"^\s*(help|/help|\?|what can you do\??)\s*$")
_FOLLOW_UP_TOOLS: dict[str, tuple[str, ...]] = {
    "evidence": ("localize", "search_insights", "theme_surges"),
    "fix": ("localize", "recommend_fixes"),
}


class OfflinePlanner:
    """Answer journey questions without a model; same protocol as a connected LLM."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.usage = Usage()
        self._ids = itertools.count(1)
        self._vocabulary = vocabulary or Vocabulary()

    def chat(self, messages: Sequence[ChatMessage], *, tools: Sequence[ToolSpec] = ()) -> ChatReply:
        """Return the next step of the playbook for the conversation so far."""
        self.usage.calls += 1
        start = max(i for i, m in enumerate(messages) if m.role == "user")
        text = self._vocabulary.translate(messages[start].content)
        done = REGISTRY.outcomes(messages[start:])
        catalog = _latest(REGISTRY.outcomes(messages), Catalog)
        if catalog is None:
            return self._call("catalog", {})
        if _HELP.match(text):
            return ChatReply(content=_help(catalog))
        if _PROPOSE.match(text):
            return self._propose(text, messages, done)
        intent = intent_of(text)
        if _ACTIONS.search(text) and "why" not in text and intent is None:
            if "list_actions" in {o.name for o in done}:
                return ChatReply(content=narrate(done))
            pending = any(w in text for w in ("pending", "waiting", "awaiting"))
            return self._call(
                "list_actions", {"status": ActionStatus.PROPOSED.value} if pending else {}
            )
        earlier = REGISTRY.outcomes(messages[:start])
        asked = [
            self._vocabulary.translate(m.content) for m in messages[:start] if m.role == "user"
        ]
        q = _parse(text, catalog)
        about = focus(earlier)
        if intent in ("evidence", "fix") and about is not None and not _moves_on(q, about):
            return self._follow_up(intent, about, done)
        prior = next((p for t in reversed(asked) if (p := _parse(t, catalog)).understood), None)
        if intent == "compare":
            place = _place(q, prior, about)
            if place is not None:
                return self._compare(text, place, earlier, done, catalog)
        resolved = _resolve(text, q, prior, earlier)
        if resolved is None:
            return ChatReply(content=_help(catalog))
        return self._investigate(resolved, done)

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

    def _follow_up(
        self, intent: Intent, about: BreakdownSummary, done: list[ToolOutcome]
    ) -> ChatReply:
        if not done:
            bid = about.breakdown_id
            return self._calls([(n, {"breakdown_id": bid}) for n in _FOLLOW_UP_TOOLS[intent]])
        title = f"{about.metric_label} at {about.journey} › {about.stage}"
        write = answers.evidence_answer if intent == "evidence" else answers.fix_answer
        return ChatReply(content=write(done, title))

    def _compare(
        self,
        text: str,
        place: Question,
        earlier: list[ToolOutcome],
        done: list[ToolOutcome],
        catalog: Catalog,
    ) -> ChatReply:
        base = {"journey": place.journey, "stage": place.stage, "metric": place.metric}
        if done:
            if compares_periods(text):
                return ChatReply(content=answers.periods_answer(done))
            return ChatReply(content=answers.segments_answer(done, set(text.split())))
        if not compares_periods(text):
            return self._call("compare_segments", dict(base))
        newest = catalog.data_to or dt.date.today()
        seen = last_window_end(earlier)
        end = place.as_of or (dt.date.fromisoformat(seen) if seen else newest)
        return self._calls(
            [
                ("compare_periods", {**base, "as_of": day.isoformat()})
                for day in (end, end - dt.timedelta(days=7))
            ]
        )

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


def _parse(text: str, cat: Catalog) -> Question:
    today = cat.data_to or dt.date.today()
    return parse_question(text, journeys=cat.journeys, metrics=cat.metric_names, today=today)


def _moves_on(q: Question, about: BreakdownSummary) -> bool:
    """Return whether the question names another place than the breakdown in focus."""
    named = ((q.journey, about.journey), (q.stage, about.stage), (q.metric, about.metric))
    return any(new is not None and new != old for new, old in named)


def _place(q: Question, prior: Question | None, about: BreakdownSummary | None) -> Question | None:
    """Return the journey, stage and metric a comparison is about, filling gaps from before."""
    filled = q.model_copy()
    for source in (prior, about):
        # A source about another journey cannot lend its stage to this one.
        if source is None or filled.journey not in (None, source.journey):
            continue
        for key in ("journey", "stage", "metric"):
            if getattr(filled, key) is None:
                setattr(filled, key, getattr(source, key))
    return filled if filled.journey and filled.stage and filled.metric else None


def _resolve(
    text: str, q: Question, prior: Question | None, earlier: list[ToolOutcome]
) -> Question | None:
    """Return the question to investigate, inheriting what a follow-up leaves out."""
    base = q if q.understood else prior
    if base is not None and asks_week_before(text):
        seen = last_window_end(earlier)
        end = base.as_of or (dt.date.fromisoformat(seen) if seen else None)
        if end is not None:
            return base.model_copy(update={"as_of": end - dt.timedelta(days=7)})
    if q.understood:
        return q
    if prior is not None and q.as_of is not None:
        # "and yesterday?": the place of the last question, in the newly named window.
        return prior.model_copy(update={"as_of": q.as_of, "window_days": q.window_days})
    if prior is not None and _FOLLOW_UP.search(text):
        return prior
    return None


def _help(cat: Catalog) -> str:
    return render(
        "offline_help.md",
        journeys=", ".join(sorted(cat.journeys)),
        metrics=", ".join(cat.metric_names),
    )
