"""Tests of `store.journeys`, laid out like the package."""
