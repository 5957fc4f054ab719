"""Tests of `agent.cli`, laid out like the package."""
