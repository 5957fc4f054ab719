"""The workspace folder that holds all embedded state of one journeyops installation."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from store.audit_keys import AuditKeying


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

    @property
    def audit_key_path(self) -> Path:
        return self.root / "audit-key"

    @property
    def audit_anchor_path(self) -> Path:
        return self.root / "audit-head"

    def audit_keying(self, *, env_name: str, environ: Mapping[str, str]) -> AuditKeying:
        """Return the audit key from `env_name`, else from (a new) `audit-key` file here.

        The file fallback keeps a demo working, but a key beside the store protects nothing
        from someone who can read the workspace; `AuditKeying.source` says which one it is.
        """
        from_env = environ.get(env_name, "") if env_name else ""
        anchor = self.audit_anchor_path
        if from_env:
            return AuditKeying(from_env.encode("utf-8"), f"${env_name}", anchor)
        path = self.audit_key_path
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(48))
        key = path.read_text(encoding="ascii").strip().encode("utf-8")
        return AuditKeying(key, f"{path} (WORKSPACE FILE: set ${env_name})", anchor)
