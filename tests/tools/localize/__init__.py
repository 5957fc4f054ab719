"""Tests of `tools.localize`, laid out like the package."""
