"""Packaging entry point; the metadata lives in setup.cfg."""
import setuptools

setuptools.setup()
