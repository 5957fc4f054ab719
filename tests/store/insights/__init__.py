"""Tests of `store.insights`, laid out like the package."""
