"""Shared vocabulary and helpers of the service (constants, config, utils)."""
