"""Where workflows may go: the `[workflows.*]` allowlist entries of config.toml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class WorkflowTarget(BaseModel):
    """One allowlisted workflow target; secrets are named here and read from the environment."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["webhook", "slack", "jira"]
    url: str = Field(pattern=r"^https?://")
    secret_env: str = ""
    project: str = ""
