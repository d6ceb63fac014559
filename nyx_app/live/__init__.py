"""Live progress: one LISTEN connection per process, fanned out to everything watching."""
