"""The live watch's SQL state: hour-of-week baselines and developing incidents.

`models` declares both tables (on the governance store's metadata, migration 0010);
`baselines` replaces and reads the baseline rows of a day; `incidents` opens, updates,
lists and closes developing incidents.
"""

from store.live.models import DevelopingIncidentRow, LiveBaselineRow, LiveStatus

__all__ = ["DevelopingIncidentRow", "LiveBaselineRow", "LiveStatus"]
