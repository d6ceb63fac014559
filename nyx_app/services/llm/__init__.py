"""LLM domain: model catalog, provider credentials, the one call path, spend and budget."""
