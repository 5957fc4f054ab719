"""Tests of `agent`, laid out like the package."""
