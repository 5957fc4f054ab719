"""The workspace folder that holds all embedded state of one journeyops installation."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Workspace:
    """Paths of the embedded stores under one home folder."""

    root: Path

    @classmethod
    def resolve(cls, home: Path | None = None) -> Workspace:
        """Use `home`, else `JOURNEYOPS_HOME`, else `./.journeyops`; create it."""
        root = home or Path(os.environ.get("JOURNEYOPS_HOME", "") or ".journeyops")
        root = root.expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        (root / "reports").mkdir(exist_ok=True)
        return cls(root)

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def store_path(self) -> Path:
        return self.root / "journeyops.sqlite"

    @property
    def checkpoints_path(self) -> Path:
        return self.root / "checkpoints.sqlite"

    @property
    def chroma_dir(self) -> Path:
        return self.root / "chroma"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"
