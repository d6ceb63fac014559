"""Webhooks of the workspace (owners and admins) and their delivery log."""
