"""langgraph.json points LangGraph's own tooling at our compiled graphs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from langgraph.graph.state import CompiledStateGraph

ROOT = Path(__file__).resolve().parents[1]


def test_every_graph_in_langgraph_json_loads() -> None:
    spec = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    assert set(spec["graphs"]) == {"investigation", "chat"}
    for name, ref in spec["graphs"].items():
        path, attr = ref.split(":")
        module_spec = importlib.util.spec_from_file_location(f"lg_{name}", ROOT / path)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        graph = getattr(module, attr)
        assert isinstance(graph, CompiledStateGraph), name
        assert graph.get_graph().nodes, name
