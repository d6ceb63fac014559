"""Admin commands (owner role): ``python -m nyx_app.cli prepare [--demo]``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from nyx_app.db.bootstrap import DatabaseSetupError, prepare
from nyx_app.db.urls import admin_url
from nyx_app.settings import get_settings

# example.com: reserved for examples, and accepted as an address (".local" is refused as special-use).
DEMO_EMAIL = "demo@example.com"
# Must pass the password rules (zxcvbn score 3): "demo-password" is too easy to guess.
DEMO_PASSWORD = "otter-canyon-lantern"


async def _create_demo_if_empty() -> bool:
    from nyx_app.db.engine import dispose_engines
    from nyx_app.services import auth

    try:
        created = await auth.create_demo_account(DEMO_EMAIL, DEMO_PASSWORD)
    finally:
        await dispose_engines()
    return created


async def _sweep_images(grace_minutes: int) -> None:
    from datetime import timedelta

    from nyx_app.db.engine import dispose_engines
    from nyx_app.services.image_sweep import sweep_orphan_objects

    try:
        report = await sweep_orphan_objects(grace=timedelta(minutes=grace_minutes))
    finally:
        await dispose_engines()
    print(f"checked {report.checked} stored image objects, removed {len(report.removed)} without a row")


def _worker(parent_pid: int | None) -> None:
    import logging

    from nyx_app.integrations.lifetime import die_with_parent
    from nyx_app.jobs.worker import run_standalone

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if parent_pid is not None:  # started by the web app (jobs/supervisor.py): it ends with it
        die_with_parent(parent_pid=parent_pid)
    asyncio.run(run_standalone())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nyx_app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="start the embedded DB if used, create roles, migrate")
    prep.add_argument("--demo", action="store_true", help="create a demo tenant on an empty database")
    prep.add_argument("--port", default="3000")
    sub.add_parser("prepare-db-server", help="start the embedded PostgreSQL server only")
    sub.add_parser("db-server-running", help="exit 0 if the embedded PostgreSQL server is running")
    sub.add_parser("stop-db-server", help="stop the embedded PostgreSQL server")
    sweep = sub.add_parser("sweep-images", help="remove stored image files that no row refers to")
    sweep.add_argument("--grace-minutes", type=int, default=60, help="leave younger files alone (uploads in flight)")
    work = sub.add_parser("worker", help="run a job worker (runs) against the configured database")
    work.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = get_settings()

    if args.command == "worker":
        _worker(args.parent_pid)
        return 0

    if args.command == "sweep-images":
        asyncio.run(_sweep_images(args.grace_minutes))
        return 0

    if args.command in ("db-server-running", "stop-db-server"):
        from nyx_app.db import embedded

        if not settings.uses_embedded_db:
            return 1
        if args.command == "stop-db-server":
            embedded.stop(settings.pg_data_dir)
            return 0
        return 0 if embedded.is_running(settings.pg_data_dir) else 1

    if args.command == "prepare-db-server":
        if settings.uses_embedded_db:
            admin_url(settings)
        return 0

    try:
        prepare(settings)
    except DatabaseSetupError as exc:
        print(f"database set-up failed: {exc}", file=sys.stderr)
        return 1
    where = f"embedded PostgreSQL in {settings.pg_data_dir}" if settings.uses_embedded_db else "DATABASE_URL"
    print(f"database ready ({where}), migrations at head")
    if args.demo and asyncio.run(_create_demo_if_empty()):
        print(f"demo account created: open http://localhost:{args.port}/login and sign in as")
        print(f"  e-mail: {DEMO_EMAIL}   password: {DEMO_PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
