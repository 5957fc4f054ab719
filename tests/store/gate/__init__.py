"""Tests of `store.gate`, laid out like the package."""
