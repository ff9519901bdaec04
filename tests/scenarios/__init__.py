"""Scenario tests: real git repositories and indexes made in a temporary folder, checked through lintml.api."""
