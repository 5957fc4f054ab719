"""Tests of the Spark SQL warehouse."""
