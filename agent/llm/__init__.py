"""The model boundary: the LLM protocol, its one adapter, and what crosses it.

`protocol` (message types, the `LLM` protocol, `ScriptedLLM` for tests), `openai_compat`
(the only module that imports `openai`), `untrusted` (customer text fenced on its way into a
prompt) and `grounding` (numbers, dates and ids a model may state on its way out).
"""
