"""The investigation: why a journey stage broke, and what to do about it.

Owns the investigation graph (`graph`, `state`), one module per node (`detect_breakdowns`,
`localize_causes`, `gather_evidence`, `draft_hypotheses` with `llm_hypotheses`,
`recommend_fixes`, `propose_actions`) and `scan.run_scan`, the body of `journeyops scan`.
"""
