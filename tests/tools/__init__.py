"""Tests of `tools`, laid out like the package."""
