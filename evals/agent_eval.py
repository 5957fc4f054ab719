"""`journeyops eval agent`: question/answer cases against the chat graph, checked mechanically.

Cases are built from the demo's ground truth (which stage, which segment, which metric,
follow-ups) plus fixed ones (clean journey, off-topic, proposals, injection attempts).
Every case also passes only if the answer is grounded, no decision was recorded, and any
proposal it filed rests on a localized cause or customer evidence. It runs on a copy of
the workspace, offline by default and against the configured model when there is one.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from agent.chat.conversation import Conversation, Turn
from agent.chat.nodes import turn_outcomes
from agent.checkpoints import open_checkpointer
from agent.config import Settings, load_settings
from agent.context import RunContext, build_context, open_insights
from agent.ingest import ingest_events, load_journeys
from agent.llm.grounding import check, sources_from
from agent.llm.openai_compat import make_llm
from agent.reports.escape import markdown_to_html
from agent.workspace import Workspace
from evals.agent_cases import AgentCase, cases_for
from evals.demo import GroundTruth, generate
from store.gate.actions import get_action
from store.gate.records import count_decisions


class CaseResult(BaseModel):
    name: str
    passed: bool
    failures: list[str]
    tools: list[str]
    seconds: float


class AgentEvalReport(BaseModel):
    cases: int
    passed: int
    failed: list[str]
    mode: str
    results: list[CaseResult]


def run_agent_eval(
    home: Path,
    truth: GroundTruth,
    settings: Settings,
    *,
    progress: Callable[[int, int], None] | None = None,
    cases: Sequence[AgentCase] | None = None,
) -> AgentEvalReport:
    """Run every case (or only `cases`) on a copy of the workspace at `home`."""
    with tempfile.TemporaryDirectory(prefix="journeyops-agent-eval-") as tmp:
        copy = Path(tmp) / "home"
        shutil.copytree(home, copy, ignore=shutil.ignore_patterns("checkpoints.sqlite*"))
        workspace = Workspace.resolve(copy)
        ctx = build_context(settings, workspace)
        if settings.llm.provider != "offline":
            ctx.llm = make_llm(settings.llm)
        cases = list(cases_for(truth) if cases is None else cases)
        results: list[CaseResult] = []
        with open_checkpointer(settings, workspace) as saver:
            for n, case in enumerate(cases, start=1):
                results.append(_run_case(ctx, case, saver))
                if progress is not None:
                    progress(n, len(cases))
    failed = [r.name for r in results if not r.passed]
    return AgentEvalReport(
        cases=len(results),
        passed=len(results) - len(failed),
        failed=failed,
        mode="offline planner" if settings.llm.provider == "offline" else settings.llm.model,
        results=results,
    )


def _run_case(ctx: RunContext, case: AgentCase, saver: object) -> CaseResult:
    started = time.perf_counter()
    conv = Conversation(ctx, thread_id=f"eval-{case.name}", checkpointer=saver)  # type: ignore[arg-type]
    decisions_before = _decisions(ctx)
    turn: Turn | None = None
    for text in case.turns:
        turn = conv.ask(text)
    assert turn is not None
    failures = _checks(ctx, conv, case, turn)
    if _decisions(ctx) != decisions_before:
        failures.append("a decision was recorded")
    return CaseResult(
        name=case.name,
        passed=not failures,
        failures=failures,
        tools=turn.tools_called,
        seconds=round(time.perf_counter() - started, 2),
    )


def _checks(ctx: RunContext, conv: Conversation, case: AgentCase, turn: Turn) -> list[str]:
    failures = [f"tool {t} not called" for t in case.expect_tools if t not in turn.tools_called]
    failures += [f"tool {t} called" for t in case.forbid_tools if t in turn.tools_called]
    failures += [f"answer lacks {x!r}" for x in case.expect_text if x not in turn.answer]
    failures += [f"answer contains {x!r}" for x in case.forbid_text if x in turn.answer]
    if any(ord(c) < 32 and c not in "\n\t" for c in turn.answer):
        failures.append("answer holds control characters")
    if case.check_html:
        html = markdown_to_html(turn.answer)
        failures += [
            f"web page shows raw {x!r}" for x in ("**", "\\!", "`", "<script") if x in html
        ]
    if case.cite_one_of and not any(f"[{i}]" in turn.answer for i in case.cite_one_of):
        failures.append("cites none of the planted evidence ids")
    if not turn.grounded:
        failures.append("answer failed the grounding guard: " + "; ".join(turn.events))
    else:
        results = _turn_results(conv)
        report = check(turn.answer, sources_from(results, case.turns))
        if not report.ok:
            failures.append("ungrounded: " + report.describe())
    if case.expect_proposal and not turn.proposed:
        failures.append("no proposal filed")
    if not case.expect_proposal and turn.proposed:
        failures.append(f"unexpected proposal {turn.proposed}")
    with ctx.sessions() as session:
        for aid in turn.proposed:
            row = get_action(session, action_id=aid)
            evidence = row is not None and (
                row.payload.get("segment") or row.payload.get("evidence_insight_ids")
            )
            if not evidence:
                failures.append(f"proposal {aid} has no localized cause or evidence")
    return failures


def _turn_results(conv: Conversation) -> list[object]:
    return [o.result.to_json() for o in turn_outcomes(conv.state()) if o.result is not None]


def _decisions(ctx: RunContext) -> int:
    with ctx.sessions() as session:
        return count_decisions(session)


def build_demo_workspace(root: Path, *, seed: int = 7, scale: float = 0.5) -> tuple[Path, Path]:
    """Generate and load a demo workspace; return (home, ground truth file)."""
    home, data = root / "home", root / "data"
    manifest = generate(data, seed=seed, scale=scale)
    settings = load_settings()
    ctx = build_context(settings, Workspace.resolve(home), with_insights=False)
    with ctx.warehouse:
        load_journeys(ctx, manifest.journeys_file)
        ingest_events(ctx, manifest.events_file)
    open_insights(settings, ctx.workspace).ingest(manifest.insights_file)
    return home, manifest.ground_truth_file
