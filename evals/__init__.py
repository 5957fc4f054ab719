"""journeyops evals package."""
