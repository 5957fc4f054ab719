"""journeyops agent package."""
