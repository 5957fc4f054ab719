"""Tests of the chat tools, their registry and what they may change."""
