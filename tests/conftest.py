"""Fixtures shared by the whole suite: the fake GitHub server and App keys."""

pytest_plugins = ["tests.fakegithub.fixtures"]
