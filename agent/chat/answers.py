"""Templated answers to follow-ups: what customers say, which fix first and why, comparisons.

Like `narrate`, every number is copied from a tool result of the same turn and every field
from data is escaped for Markdown, so the grounding guard passes them and the web app and
the terminal render them inert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from agent.chat.narrate import inert_quote
from agent.chat.tools.breakdowns import Causes, Recommendations
from agent.chat.tools.evidence import Quotes, Themes
from agent.chat.tools.metrics import Comparison
from agent.chat.tools.registry import ToolOutcome
from agent.chat.tools.segments import SegmentComparison, SegmentValue
from agent.chat.tools.tool import ToolResult
from agent.reports.escape import md_text
from tools.units import format_count, format_p, format_percent

R = TypeVar("R", bound=ToolResult)

_PROPOSE_HINT = "Say `/propose N` to file fix N for council approval."


def evidence_answer(outcomes: Sequence[ToolOutcome], about: str) -> str:
    """Answer "what do customers say about it?" for the breakdown in focus."""
    lines = [f"What customers say about {about}:", ""]
    causes = _first(outcomes, Causes)
    top = causes.causes[0] if causes is not None and causes.causes else None
    if top is not None:
        lines += [
            f"The change sits mostly in **{md_text(top.segment)}** ({top.explained_share} of it, "
            f"{top.segment_before} → {top.segment_now}).",
            "",
        ]
    quotes = _first(outcomes, Quotes)
    for q in quotes.quotes[:3] if quotes is not None else []:
        qid, text = inert_quote(q.quote)
        lines += [f"> “{text}” [{qid or q.id}] ({md_text(q.source)}, {md_text(q.ts[:10])})", ""]
    themes = _first(outcomes, Themes)
    for t in themes.themes[:3] if themes is not None else []:
        _, label = inert_quote(t.label)
        lines.append(f"- Surging theme “{label}”: {t.mentions or 'mentions rose'}.")
    if (quotes is None or not quotes.quotes) and (themes is None or not themes.themes):
        if top is not None and top.kind != "rate_change":
            lines.append(
                "No customer quotes are cited: the top cause is a "
                f"{top.kind.replace('_', ' ')}, which customers do not complain about."
            )
        else:
            lines.append("No customer quotes or surging themes were found for it in the window.")
    lines += ["", "Ask “which fix first and why?” for the recommended fixes."]
    return _with_errors(lines, outcomes)


def fix_answer(outcomes: Sequence[ToolOutcome], about: str) -> str:
    """Answer "which fix first and why?" for the breakdown in focus."""
    recs = _first(outcomes, Recommendations)
    if recs is None or not recs.recommendations:
        return _with_errors([f"No fix is recommended for {about}."], outcomes)
    first, *rest = recs.recommendations
    filed = f" (already {first.filed_status})" if first.filed_status else ""
    lines = [
        f"Start with fix {first.rank}, **{md_text(first.title)}** (`{first.playbook}`) for "
        f"{about}: {first.value_per_week} per week, effort {first.effort}, confidence "
        f"{format_percent(first.confidence)}{filed}.",
        "",
    ]
    why = "Why first: fixes are ranked by the money they are expected to win back per week"
    causes = _first(outcomes, Causes)
    if causes is not None and causes.causes:
        c = causes.causes[0]
        why += (
            f", and this one targets **{md_text(c.segment)}**, where {c.explained_share} of "
            f"the change sits ({c.segment_before} → {c.segment_now} on "
            f"{format_count(c.segment_visits)} visits)"
        )
    lines += [why + ".", ""]
    for r in rest:
        lines.append(
            f"- Then fix {r.rank}, {md_text(r.title)} (`{r.playbook}`): {r.value_per_week} "
            f"per week, effort {r.effort}, confidence {format_percent(r.confidence)}."
        )
    lines += ["", _PROPOSE_HINT]
    return _with_errors(lines, outcomes)


def periods_answer(outcomes: Sequence[ToolOutcome]) -> str:
    """Compare one stage metric in two windows, each against its own baseline."""
    found = [o.result for o in outcomes if isinstance(o.result, Comparison)]
    lines = []
    for r in found:
        verdict = "a significant degradation" if r.significant and r.worse else "normal variation"
        lines.append(
            f"- {r.window}: **{r.current}** vs {r.expected} expected "
            f"({_relative(r.relative_change_pct)}, {r.significance or format_p(r.p_value)}, "
            f"{format_count(r.visits)} visits) — {verdict}."
        )
    if len(found) == 2:
        newer, older = found
        head = (
            f"{md_text(newer.metric)} at {md_text(newer.journey)} › {md_text(newer.stage)}: "
            f"{newer.current} in {newer.window} against {older.current} in {older.window}."
        )
        lines = [head, "", *lines]
    return _with_errors(lines, outcomes)


def segments_answer(outcomes: Sequence[ToolOutcome], named: set[str]) -> str:
    """Compare a stage metric across segments: a dimension named, its values named, else the
    biggest moves."""
    result = _first(outcomes, SegmentComparison)
    if result is None:
        return _with_errors([], outcomes)
    chosen = [s for s in result.segments if s.dimension.casefold() in named] or [
        s for s in result.segments if s.value.casefold() in named
    ]
    if not chosen:
        moved = [s for s in result.segments if s.relative_change_pct is not None]
        chosen = sorted(moved, key=lambda s: abs(s.relative_change_pct or 0.0), reverse=True)[:6]
    lines = [
        f"**{md_text(result.metric)} at {md_text(result.journey)} › {md_text(result.stage)}** "
        f"by segment, {result.window} against the same weekdays of prior weeks:",
        "",
    ]
    lines += [_segment_line(s) for s in chosen]
    if chosen:
        worst = min(chosen, key=lambda s: s.relative_change_pct or 0.0)
        lines += ["", f"Worst: **{md_text(worst.dimension)}={md_text(worst.value)}**."]
    return _with_errors(lines, outcomes)


def _segment_line(s: SegmentValue) -> str:
    return (
        f"- {md_text(s.dimension)}={md_text(s.value)}: {s.expected} → {s.current} "
        f"({_relative(s.relative_change_pct)}) on {format_count(s.visits)} visits"
    )


def _relative(pct: float | None) -> str:
    return "no baseline to compare" if pct is None else f"{pct:+.1f}% relative"


def _first(outcomes: Sequence[ToolOutcome], kind: type[R]) -> R | None:
    return next((o.result for o in outcomes if isinstance(o.result, kind)), None)


def _with_errors(lines: list[str], outcomes: Sequence[ToolOutcome]) -> str:
    lines += [f"I could not run `{o.name}`: {o.error}" for o in outcomes if not o.ok]
    return "\n".join(lines).strip() or "I found nothing to report for that question."
