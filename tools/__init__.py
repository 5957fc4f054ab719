"""journeyops tools package."""
