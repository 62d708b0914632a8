"""Drivers written the way Delfin's vendor drivers are written.

They import only names that Delfin's drivers import from Delfin's core
(plus the third-party packages those drivers bring), so running them
proves a driver written for Delfin runs here unchanged.
"""
