"""Forgot password: ask for a link (``forgot``), and choose a new password from it (``reset``)."""
