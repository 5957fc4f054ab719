"""The store: every SQL read and write, the events warehouse and the insight store.

- `db`, `models`, `migrations`, `states` — the SQL store (SQLite or PostgreSQL): engines and
  the writer lock, typed models, schema migrations, and the states actions move through.
- `gate` — the approval gate and what it governs: actions, decisions, outbox, outcomes.
- `audit` — the append-only, hash-chained audit log.
- `journeys` — journeys, their councils, and the journeys file loader.
- `web_auth`, `schedule_runs` — council app users and tokens; scheduler slots.
- `warehouse` — journey events (DuckDB or any SQLAlchemy database), pushed-down aggregates.
- `insights` — customer insights in Chroma, embedded locally.
- `catalog`, `findings` — domain types every layer shares: the metric catalog and the
  scan's findings (the `journeyops scan --json` contract).
"""
