"""Tests of `store`, laid out like the package."""
