"""The one error a tool raises on purpose: its message goes back to the model to correct."""

from __future__ import annotations


class ToolError(Exception):
    """A tool could not answer; the message is sent back to the model verbatim."""
