"""The council app's routes: pages (`pages`, `actions`, `misc`) and the JSON API (`api`)."""
