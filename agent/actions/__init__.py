"""Governed actions: from a filed proposal to a delivered workflow and its outcome check.

Owns the action graph (`graph`: one checkpointed LangGraph thread per proposal, paused by
`interrupt()` until the council decides in SQL), the gate's caller (`decisions`: every
channel records a decision through it, then the thread resumes), filing proposals
(`proposals`), the dispatcher (`dispatch`), the outcome check (`outcome_check`) and named
crash points for recovery tests (`crash`). The rules themselves are the gate's, in
`store.gate`.
"""
