"""End to end: a chat with a model served over HTTP on 127.0.0.1, through the real adapter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.llm.openai_compat import OpenAICompatibleLLM
from evals.demo import GroundTruth, Incident
from store.gate.actions import get_action
from tests.support.chat import conversation
from tests.support.demo_workspace import copy_home
from tests.support.openai_server import OpenAIServer, chat_completion, tool_call
from tools.units import format_segment


def _results(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Map tool name -> parsed result of the latest call of it in the request."""
    names = {
        c["id"]: c["function"]["name"]
        for m in payload["messages"]
        if m["role"] == "assistant"
        for c in m.get("tool_calls") or []
    }
    return {
        names[m["tool_call_id"]]: json.loads(m["content"])
        for m in payload["messages"]
        if m["role"] == "tool"
    }


def _llm(server: OpenAIServer) -> OpenAICompatibleLLM:
    return OpenAICompatibleLLM(
        base_url=server.base_url, model="test-model", api_key="k", timeout_s=10, max_retries=0
    )


@pytest.fixture()
def home(tmp_path: Path, demo_base: Path) -> Path:
    return copy_home(demo_base, tmp_path)


@pytest.fixture()
def payment(demo_truth: GroundTruth) -> Incident:
    return next(
        i for i in demo_truth.incidents if i.journey == "checkout" and i.kind == "rate_change"
    )


def test_chat_finds_the_cause_cites_quotes_and_proposes_the_fix(
    home: Path, payment: Incident
) -> None:
    detect = {"journey": payment.journey, "stage": payment.stage, "metric": payment.metric}

    def investigate(payload: dict[str, Any]) -> dict[str, object]:
        bid = _results(payload)["detect_breakdowns"]["breakdowns"][0]["breakdown_id"]
        args = json.dumps({"breakdown_id": bid})
        return chat_completion(
            tool_calls=[tool_call("c2", "localize", args), tool_call("c3", "search_insights", args)]
        )

    def answer(payload: dict[str, Any]) -> dict[str, object]:
        r = _results(payload)
        bd = r["detect_breakdowns"]["breakdowns"][0]
        cause = r["localize"]["causes"][0]
        cited = " ".join(f"[{q['id']}]" for q in r["search_insights"]["quotes"][:2])
        return chat_completion(
            content=f"{bd['metric_label']} at {bd['journey']}/{bd['stage']} fell from "
            f"{bd['expected']} to {bd['current']} on {bd['visits']:,} visits. The cause is "
            f"{cause['segment']}, {cause['explained_share']} of the change "
            f"({cause['segment_before']} → {cause['segment_now']}). Customers say so: {cited}",
            usage={"prompt_tokens": 900, "completion_tokens": 80, "total_tokens": 980},
        )

    def recommend(payload: dict[str, Any]) -> dict[str, object]:
        bid = _results(payload)["detect_breakdowns"]["breakdowns"][0]["breakdown_id"]
        return chat_completion(
            tool_calls=[tool_call("c4", "recommend_fixes", json.dumps({"breakdown_id": bid}))]
        )

    def propose(payload: dict[str, Any]) -> dict[str, object]:
        recs = _results(payload)["recommend_fixes"]
        args = {
            "breakdown_id": recs["breakdown_id"],
            "playbook": recs["recommendations"][0]["playbook"],
        }
        return chat_completion(tool_calls=[tool_call("c5", "propose_action", json.dumps(args))])

    def confirm(payload: dict[str, Any]) -> dict[str, object]:
        filed = _results(payload)["propose_action"]
        return chat_completion(content=f"Filed {filed['action_id']} for the council.")

    script = [
        chat_completion(tool_calls=[tool_call("c1", "detect_breakdowns", json.dumps(detect))]),
        investigate,
        answer,
        recommend,
        propose,
        confirm,
    ]
    with OpenAIServer(script) as server, conversation(home, "e2e", llm=_llm(server)) as conv:
        why = conv.ask("Why did payment conversion drop on the app last week?")
        filed = conv.ask("Please propose the top fix.")
        requests = [body for _, _, body in server.requests]
        ctx = conv.ctx

    assert len(requests) == len(script)
    assert why.grounded and why.events == []
    assert format_segment(payment.segment) in why.answer
    cited = {c.strip("[]") for c in why.answer.split() if c.startswith("[ins-")}
    assert cited and cited & set(payment.evidence_insight_ids)
    assert why.usage.prompt_tokens == 900 and why.usage.calls == 3
    # What we sent: every tool, the untrusted-data rule, and fenced customer quotes.
    first = requests[0]
    assert first["model"] == "test-model"
    assert {t["function"]["name"] for t in first["tools"]} >= {
        "detect_breakdowns",
        "propose_action",
    }
    assert "quoted customer data" in first["messages"][0]["content"]
    quotes = next(
        m for m in requests[2]["messages"] if m["role"] == "tool" and "quotes" in m["content"]
    )
    assert "<customer_quote id=" in quotes["content"]

    [action_id] = filed.proposed
    assert action_id in filed.answer
    with ctx.sessions() as session:
        row = get_action(session, action_id=action_id)
        assert row is not None and row.status == "proposed"


def test_the_guard_catches_an_invented_number(home: Path, payment: Incident) -> None:
    detect = {"journey": payment.journey, "stage": payment.stage, "metric": payment.metric}
    script = [
        chat_completion(tool_calls=[tool_call("c1", "detect_breakdowns", json.dumps(detect))]),
        chat_completion(content="Conversion fell by 37.9% because of the 5.3 release."),
        chat_completion(content="Sorry: it fell by 41.2%."),
    ]
    with OpenAIServer(script) as server, conversation(home, "guard", llm=_llm(server)) as conv:
        turn = conv.ask("why did checkout payment conversion drop?")
        retry_request = server.requests[2][2]
    assert not turn.grounded
    assert any("grounding guard" in e and "41.2" in e for e in turn.events)
    assert "37.9" not in turn.answer and "41.2" not in turn.answer
    assert "went from" in turn.answer  # the templated narrative of the tools' own numbers
    correction = retry_request["messages"][-1]
    assert correction["role"] == "user" and "37.9" in correction["content"]
    assert "5.3" in correction["content"]


def test_a_grounded_retry_is_accepted(home: Path, payment: Incident) -> None:
    detect = {"journey": payment.journey, "stage": payment.stage, "metric": payment.metric}

    def grounded(payload: dict[str, Any]) -> dict[str, object]:
        bd = _results(payload)["detect_breakdowns"]["breakdowns"][0]
        return chat_completion(content=f"It went from {bd['expected']} to {bd['current']}.")

    script = [
        chat_completion(tool_calls=[tool_call("c1", "detect_breakdowns", json.dumps(detect))]),
        chat_completion(content="It fell 99.1%."),
        grounded,
    ]
    with OpenAIServer(script) as server, conversation(home, "retry", llm=_llm(server)) as conv:
        turn = conv.ask("why did checkout payment conversion drop?")
    assert turn.grounded and turn.answer.startswith("It went from")
