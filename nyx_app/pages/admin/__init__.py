"""Pages for the workspace's owners about the installation itself (health)."""
