"""Tests of `agent.chat`, laid out like the package."""
