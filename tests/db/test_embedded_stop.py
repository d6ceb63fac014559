"""scripts/run stops the embedded PostgreSQL it started when the app stops: the CLI tells whether
one is running and stops it (tried on a server of its own, not the one the tests use)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nyx_app.settings import ROOT_DIR


def _cli(command: str, data_dir: Path) -> int:
    env = {**os.environ, "NYX_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "nyx_app.cli", command], env=env, cwd=ROOT_DIR, timeout=120).returncode


def test_the_embedded_server_is_started_seen_and_stopped(tmp_path: Path) -> None:
    assert _cli("db-server-running", tmp_path) == 1
    assert _cli("prepare-db-server", tmp_path) == 0
    assert _cli("db-server-running", tmp_path) == 0  # it outlives the process that started it
    assert _cli("stop-db-server", tmp_path) == 0
    assert _cli("db-server-running", tmp_path) == 1
