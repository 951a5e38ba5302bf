"""Helpers the tests (and bench/) import: `from tests.helpers.<module> import ...`."""
