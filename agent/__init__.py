"""The agent: everything that runs journeyops, built on the deterministic tools.

Sub-packages, from the entry points down (imports only point down this list):

- `cli` — the `journeyops` command line (typer); builds the real run context.
- `web` — the council web app (FastAPI pages and the JSON API).
- `chat` — the chat graph, its typed tools, the offline planner and the templated answer.
- `schedule` — cron-driven scans, outcome checks, expiries and escalations.
- `investigate` — the investigation graph (detect → localize → evidence → hypotheses →
  fixes → proposals) and `run_scan`.
- `actions` — the action graph around the approval gate, proposals, dispatch, outcome checks.
- `reports` — the scan report (terminal, Markdown) and the weekly journey review.
- `ingest` — journeys and events files into the workspace.
- `checkpoints`, `context`, `llm`, `config`, `workspace` — what every run shares: graph
  checkpointers, the run context, the model boundary, validated settings and the workspace.
"""
