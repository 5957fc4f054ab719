"""Deterministic capabilities the agent calls; every number journeyops reports comes from here.

`detect` (volume-aware breakdown detection), `causes` and `localize` (rate/mix split and
root-cause localization), `insights` (evidence retrieval and theme surges), `impact` and
`recommend` (money at stake and ranked fixes), `units` (formatting by metric unit) and
`workflows` (the connectors that deliver approved actions).
"""
