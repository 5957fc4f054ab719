"""Chat: answer a journey owner's question from the data, with tools and a grounding guard.

Owns the chat graph (`graph`, `nodes`, `state`), the model's typed tools (`tools`), a
checkpointed conversation (`conversation`), the offline planner (`offline_planner`,
`parse_question`) and the templated answer (`narrate`).
"""
