"""Knowledge pages: the workspace search's settings (embedding model, progress, failed items)."""
