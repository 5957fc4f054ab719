"""Tests of `agent.actions`, laid out like the package."""
