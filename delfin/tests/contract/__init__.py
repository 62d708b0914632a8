"""The driver contract suite: every driver the project ships, checked."""
