"""The Trash page: what the workspace deleted in the last 30 days, to restore or remove for good."""
