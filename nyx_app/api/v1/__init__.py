"""The public REST API under /api/v1 (app.py) and the token gate it shares with the MCP endpoint."""
