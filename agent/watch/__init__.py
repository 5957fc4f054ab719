"""Live watch: micro-batches in, sequential tests every few minutes, developing incidents.

`drops` loads the files a pipeline drops into a folder; `cycle` runs one watch cycle
(baselines, the recent window's hourly aggregates, the CUSUM per series); `incidents`
opens, updates, confirms and closes developing incidents, alerts the journey owner once
and files proposals once an incident is confirmed; `loop` repeats cycles on an interval.
"""
