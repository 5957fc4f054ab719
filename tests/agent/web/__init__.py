"""Tests of `agent.web`, laid out like the package."""
