"""Helpers shared by tests: local servers that stand in for external services."""
