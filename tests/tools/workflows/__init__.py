"""Tests of `tools.workflows`, laid out like the package."""
