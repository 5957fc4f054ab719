"""Tests of `agent.llm`, laid out like the package."""
