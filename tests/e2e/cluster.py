"""The scale-out topology of deploy/ on loopback: Redis, 2 app processes (``--role web``) behind
haproxy (no sticky sessions), 2 job workers, moto S3 and the embedded PostgreSQL.

Every process is a real one started the way an operator starts it; the test kills them one by one.
haproxy checks ``/readyz`` every second and sends each new connection to the process with the fewest
(``leastconn``), so a browser's websocket lands where there is room, and a killed process's
browsers reconnect to the other one (``option redispatch``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from nyx_app.db.bootstrap import prepare
from nyx_app.settings import ROOT_DIR, Settings
from tests.e2e.conftest import ARTIFACTS, _free_port, _stop, _wait_for
from tests.fakes.storage import S3_ENV
from tests.jobs.workers import Worker, worker_process

SCALE_DATABASE = "nyx_scale"
HAPROXY_CFG = """\
global
    maxconn 2000
defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 3
    option redispatch
    option http-server-close
    http-reuse never
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance leastconn
    option httpchk GET /readyz
    timeout check 5s
    default-server inter 1s fall 2 rise 1
{servers}
"""


@dataclass
class App:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL to its whole process group: a lost machine, nothing handed over."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def websockets(self) -> int:
        """Connections from the balancer held open to it (only websockets: haproxy keeps no idle ones)."""
        return sum(
            1
            for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == self.port
        )


@dataclass
class Cluster:
    url: str
    redis_port: int
    env: dict[str, str]
    apps: list[App] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    redis: subprocess.Popen[bytes] | None = None

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=(ARTIFACTS / "scale-redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        ping = ["redis-cli", "-p", str(self.redis_port), "ping"]
        while subprocess.run(ping, capture_output=True).stdout != b"PONG\n":
            assert time.monotonic() < deadline, "redis did not start"
            time.sleep(0.1)

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.terminate()
        self.redis.wait(timeout=10)

    def holding(self) -> dict[str, int]:
        """Websockets each live app process holds, read until two looks agree (a health check
        in flight is an open connection for a moment too)."""
        while True:
            first = {a.name: a.websockets() for a in self.apps if a.proc.poll() is None}
            time.sleep(0.2)
            if first == {a.name: a.websockets() for a in self.apps if a.proc.poll() is None}:
                return first

    def app(self, name: str) -> App:
        return next(a for a in self.apps if a.name == name)


def _start_app(name: str, env: dict[str, str]) -> App:
    port = _free_port()
    log = ARTIFACTS / f"scale-{name}.log"
    cmd = ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port), "--backend-port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _wait_for(f"http://127.0.0.1:{port}/readyz", proc, log)
    return App(name, port, proc, log)


# The cluster compiles its frontend (the balancer's address is built into it) into a directory of
# its own: compiled into .web it replaced what the session's app server serves, and every browser
# test after this one opened its websocket to the stopped balancer.
CLUSTER_WEB = ROOT_DIR / ".web-scale"


def _own_web_dir() -> Path:
    """A copy of .web without its build (the node packages are what take minutes to install)."""
    if not CLUSTER_WEB.exists() and (ROOT_DIR / ".web" / "node_modules").exists():
        top = ROOT_DIR / ".web"
        shutil.copytree(
            top, CLUSTER_WEB, symlinks=True, ignore=lambda d, names: {"build", "backend"} if Path(d) == top else set()
        )
    return CLUSTER_WEB


@contextmanager
def cluster(app_env: dict[str, str], moto_endpoint: str) -> Iterator[Cluster]:
    prepare(Settings(database_name=SCALE_DATABASE), recreate=True)
    ARTIFACTS.mkdir(exist_ok=True)
    bucket = f"nyx-scale-{int(time.time())}"
    lb_port, redis_port = _free_port(), _free_port()
    env = {
        **app_env,
        **S3_ENV,
        "NYX_DATABASE_NAME": SCALE_DATABASE,
        "NYX_PUBLIC_URL": f"http://127.0.0.1:{lb_port}",
        "NYX_TRUSTED_PROXIES": "127.0.0.1",
        "NYX_WORKER_IN_PROCESS": "false",  # --role web
        "GRANIAN_WORKERS": "1",  # as scripts/run sets it
        "REFLEX_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "NYX_STORAGE_BACKEND": "s3",
        "NYX_S3_ENDPOINT_URL": moto_endpoint,
        "NYX_S3_BUCKET": bucket,
        "REFLEX_WEB_WORKDIR": str(_own_web_dir()),
        # Its own state files too: `reflex run` empties the states directory when it starts.
        "REFLEX_STATES_WORKDIR": str(CLUSTER_WEB / "states"),
    }
    import boto3

    boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_ENV["NYX_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_ENV["NYX_S3_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=bucket)
    world = Cluster(url=f"http://127.0.0.1:{lb_port}", redis_port=redis_port, env=env)
    with ExitStack() as stack:
        world.start_redis()
        stack.callback(lambda: world.redis.poll() is None and world.redis.kill())  # type: ignore[union-attr]
        # One after the other: each compiles the same .web (under Reflex's file lock).
        for name in ("app1", "app2"):
            app = _start_app(name, env)
            stack.callback(_stop, app.proc)
            world.apps.append(app)
        servers = "\n".join(f"    server {a.name} 127.0.0.1:{a.port} check" for a in world.apps)
        cfg = ARTIFACTS / "scale-haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(port=lb_port, servers=servers))
        haproxy = subprocess.Popen(
            ["haproxy", "-db", "-f", str(cfg)],
            stdout=(ARTIFACTS / "scale-haproxy.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        stack.callback(lambda: (haproxy.kill(), haproxy.wait()))
        _wait_for(f"{world.url}/readyz", haproxy, ARTIFACTS / "scale-haproxy.log")
        worker_env = {k: v for k, v in env.items() if k.startswith(("NYX_", "REFLEX_"))}
        for _ in range(2):
            world.workers.append(stack.enter_context(worker_process(**worker_env)))
        yield world


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
