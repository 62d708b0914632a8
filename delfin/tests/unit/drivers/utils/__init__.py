"""Tests of the helpers shared by drivers."""
