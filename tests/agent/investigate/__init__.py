"""Tests of `agent.investigate`, laid out like the package."""
