"""journeyops store package."""
