"""Tests of `agent.reports`, laid out like the package."""
