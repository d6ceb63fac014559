"""Knowledge pages: the workspace search's settings (embedding model, progress, failed items), a
project's insights and patterns, a note's enrichment, and the policy library."""
