"""A project's code sources: the imported repository, its syncs (live) and its files."""
