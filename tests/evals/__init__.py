"""Tests of `evals`, laid out like the package."""
