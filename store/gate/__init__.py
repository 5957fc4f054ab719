"""The approval gate: the one place decisions are checked and recorded.

One rule decides who may decide and what counts: `quorum.progress_for` (one action) and
`quorum.quorum_progress` (many, batched) return a `QuorumProgress` for the action's current
version and payload hash: the counted `approvers`, the `quorum` needed, the council's
`deciders`, who `may_approve` still, and `refusal(user, decision)` saying why a user may
not decide now. Everything else reads it; nobody recomputes it.

The gate's public surface:

- `rules.decide` records a decision under the writer lock (raising `DecisionRefused`);
  `actions.decide_and_commit` runs it in a transaction of its own. People decide through
  the gate's caller, `agent.actions.decisions.decide_then_resume`, which commits here
  first and then resumes the action's graph thread.
- `rules.approval_problem` is the re-check the dispatcher runs right before sending.
- `actions` files, revises, lists and escalates proposals; `rules.expire_overdue` expires.
- `outbox` leases approved deliveries to dispatchers and records their results; `redrive`
  re-queues a dead letter; `outcomes` records whether a delivered fix won the metric back.
- `records` (the inbox, history, action page and CLI) and `history` (the weekly review)
  are the reads, batched so a list costs the same number of queries at any length.
"""
