"""Shared fixtures: the shipped settings and the PostgreSQL URL for dual-database tests."""

from __future__ import annotations

import os

import pytest

from agent.config import DEFAULT_CONFIG, Settings, load_settings

pytest_plugins = ["tests.support.demo_workspace"]


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The shipped config.toml, validated."""
    return load_settings(DEFAULT_CONFIG)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL URL for tests that need one; skip clearly when it is not set."""
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL", "")
    if not url:
        pytest.skip("JOURNEYOPS_TEST_PG_URL is not set (.ci/run sets it); PostgreSQL test skipped")
    return url
