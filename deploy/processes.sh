#!/usr/bin/env bash
# nyxCore scaled out on one machine with plain processes: Redis, 2 app processes behind haproxy,
# 2 job workers, one PostgreSQL (the embedded one unless DATABASE_URL is set). The same topology
# as compose.yaml and as tests/e2e/test_scale_out.py. Ctrl-C stops everything.
#   ./deploy/processes.sh [--port 3000]
# On several machines run the same commands there: `scripts/run --role web` on app machines,
# `scripts/run --role worker` on worker machines, all with the same DATABASE_URL, REFLEX_REDIS_URL,
# NYX_STORAGE_BACKEND=s3 settings and NYX_SECRET_KEY (deploy/README.md).
source "$(dirname "$0")/../scripts/lib.sh"

PORT=3000
[ "${1:-}" = "--port" ] && PORT="$2"
WEB1=$((PORT + 1)); WEB2=$((PORT + 2)); REDIS_PORT="${REDIS_PORT:-6390}"
RUN_DIR="$ROOT/.data/processes"
mkdir -p "$RUN_DIR"

setup_common
ensure_pdf_renderer
ensure_scale_out

export NYX_PUBLIC_URL="${NYX_PUBLIC_URL:-http://localhost:$PORT}"
export REFLEX_REDIS_URL="${REFLEX_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
export NYX_TRUSTED_PROXIES="${NYX_TRUSTED_PROXIES:-127.0.0.1}"

pids=()
stop() {
  log "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop EXIT INT TERM

if [[ "$REFLEX_REDIS_URL" == "redis://127.0.0.1:$REDIS_PORT/0" ]]; then
  log "starting Redis on 127.0.0.1:$REDIS_PORT (browser state only: no persistence needed)"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$RUN_DIR/redis.log" 2>&1 &
  pids+=($!)
  until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.2; done
fi

log "preparing the database once (roles, migrations, a demo account on an empty database)"
python -m nyx_app.cli prepare --demo --port "$PORT"

# One after the other: each compiles the same .web folder (Reflex holds a lock on it meanwhile).
for web in "$WEB1" "$WEB2"; do
  log "starting an app process on 127.0.0.1:$web (log: $RUN_DIR/web-$web.log)"
  "$ROOT/scripts/run" --role web --no-prepare --port "$web" >"$RUN_DIR/web-$web.log" 2>&1 &
  pids+=($!)
  until curl -fsS "http://127.0.0.1:$web/readyz" >/dev/null 2>&1; do sleep 1; done
done
for n in 1 2; do
  log "starting job worker $n (log: $RUN_DIR/worker-$n.log)"
  "$ROOT/scripts/run" --role worker --no-prepare >"$RUN_DIR/worker-$n.log" 2>&1 &
  pids+=($!)
done

sed -e "s/bind :80/bind 127.0.0.1:$PORT/" \
    -e "s/server app1 .*/server app1 127.0.0.1:$WEB1 check/" -e "s/server app2 .*/server app2 127.0.0.1:$WEB2 check/" \
    "$ROOT/deploy/haproxy.cfg" >"$RUN_DIR/haproxy.cfg"
log "starting haproxy on http://localhost:$PORT"
haproxy -db -f "$RUN_DIR/haproxy.cfg" >"$RUN_DIR/haproxy.log" 2>&1 &
pids+=($!)
log "nyxCore is on http://localhost:$PORT (2 app processes, 2 workers); Ctrl-C stops it"
wait -n
