"""Reports: the project overview and the run report (built from rows, ``built.py``), the executive
summary and the dev-log post (written by a model through the run engine, ``writers.py``); stored
with their safe HTML (``store.py``), rendered to PDF by a job (``pdf.py``), and dev-log posts
published at a public URL (``publish.py``)."""
