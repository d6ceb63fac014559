"""Background work on procrastinate: the job queue, its tasks, and the worker runner."""
