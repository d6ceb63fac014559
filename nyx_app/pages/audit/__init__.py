"""The audit log page (owners and admins): filter, read, export."""
