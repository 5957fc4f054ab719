"""journeyops prompts package."""
