"""End-to-end tests that cross every layer."""
