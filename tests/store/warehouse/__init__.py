"""Tests of `store.warehouse`, laid out like the package."""
