"""The live-watch evaluation: replay generated days through ingest and watch, and measure.

`data` generates minute-level events with planted breaks; `replay` feeds them as
micro-batch files through the real drop-folder ingest and watch cycles, and the daily
scan on the same data; `report` scores time to detect and false alarms; `cost` measures
a cycle's time at two stored sizes.
"""
