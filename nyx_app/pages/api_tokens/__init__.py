"""API tokens: the personal ones on the Account page, the workspace's on Settings → API tokens."""
