"""The council web app: server-rendered pages and a JSON API over the governance store.

Public surface: `create_app` (the FastAPI app factory) and `CSP` (the policy it sends).
"""

from __future__ import annotations

from agent.web.app import CSP, create_app

__all__ = ["CSP", "create_app"]
