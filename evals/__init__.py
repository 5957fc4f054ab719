"""Evaluations and benchmarks; the product never imports them (the CLI's `eval` group calls them).

`demo` (generated data with planted incidents), `scenarios` (detection and diagnosis),
`rca_bench` (the public root-cause benchmark), `agent_eval` (chat cases), `scale_bench`
and `insights_bench` (speed and memory), `injection_corpus` (prompt-injection attempts).
"""
