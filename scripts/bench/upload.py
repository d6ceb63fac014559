"""Benchmark: one drop of 20 photos of ~2 MB, end to end (validate, re-encode, thumbnail, store, rows).

    PYTHONPATH=. .venv/bin/python scripts/bench/upload.py [--s3]

Uses its own database (nyx_bench) on the embedded server and a temporary storage directory, or
with --s3 a moto S3 server on loopback (real HTTP). Goal: <= 5 s for the drop on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PIL import Image

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.integrations.images import image_workers
from nyx_app.services import auth, note_images, notes, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.note_images import IncomingFile
from nyx_app.settings import get_settings

FILES = 20


def photo(seed: int) -> bytes:
    """Photo-like noise at 1700x1300, JPEG q95: about 2 MB that does not compress away."""
    img = Image.effect_noise((1700, 1300), 55 + seed).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    return out.getvalue()


async def run() -> None:
    token = await auth.register(f"bench{time.time_ns()}@example.com", "bench-password", "Bench", "Bench")
    ident = await auth.resolve(token)
    assert ident is not None
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        project = await projects.create_project(s, ctx, f"Bench {time.time_ns()}")
        note = await notes.create_note(s, ctx, project.id, "Bench note")
    files = [IncomingFile(f"photo-{i}.jpg", photo(i)) for i in range(FILES)]
    size = sum(len(f.data) for f in files)
    print(f"{FILES} JPEG photos, {size / FILES / 1_048_576:.2f} MB each on average, {size / 1_048_576:.1f} MB in all")
    settings = get_settings()
    where = settings.s3_endpoint_url if settings.storage_backend == "s3" else settings.storage_dir
    print(f"storage: {settings.storage_backend} ({where}), cores: {os.cpu_count()}")

    async with image_workers():  # started before the drop, as the app does at start-up
        start = time.perf_counter()
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            results = await note_images.add_images(s, ctx, note.id, files)
        total = time.perf_counter() - start

    saved = sum(r.ok for r in results)
    print(f"saved {saved}/{FILES}; total {total:.2f} s, {total / FILES * 1000:.0f} ms per image (wall, end to end)")
    print("goal <= 5 s:", "met" if total <= 5 and saved == FILES else "NOT met")


def use_moto_s3() -> None:
    from moto.server import ThreadedMotoServer

    from nyx_app.integrations.storage import get_storage

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()  # a daemon thread: it ends with this script
    host, port = server.get_host_and_port()
    os.environ.update(
        NYX_STORAGE_BACKEND="s3",
        NYX_S3_ENDPOINT_URL=f"http://{host}:{port}",
        NYX_S3_BUCKET="nyx-bench",
        NYX_S3_ACCESS_KEY_ID="bench",
        NYX_S3_SECRET_ACCESS_KEY="bench",
    )
    get_settings.cache_clear()
    get_storage().client.create_bucket(Bucket="nyx-bench")  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--s3", action="store_true", help="store in S3 (moto on loopback) instead of a directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as files_dir:
        os.environ["NYX_FILES_DIR"] = files_dir
        os.environ["NYX_STORAGE_BACKEND"] = "local"
        get_settings.cache_clear()
        if args.s3:
            use_moto_s3()
        prepare(get_settings(), recreate=True)

        async def go() -> None:
            try:
                await run()
            finally:
                await dispose_engines()

        asyncio.run(go())
    return 0


if __name__ == "__main__":
    sys.exit(main())
