"""Test support: fixtures, fake servers and helpers shared by the suite."""
