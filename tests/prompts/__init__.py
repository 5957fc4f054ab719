"""Tests of `prompts`, laid out like the package."""
