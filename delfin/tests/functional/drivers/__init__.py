"""Functional tests of drivers against real backends started by the tests."""
