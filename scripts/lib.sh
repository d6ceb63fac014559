# Shared set-up for scripts/run and scripts/test. Sourced, not executed.
# Installs only what is missing, so a second run is fast.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

UV_VERSION="0.13.9"
BUN_VERSION="1.4.5"   # Reflex 0.10 needs Bun >= 1.4.4 (or Node >= 22.22); the machine has Node 20.
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

log() { printf '\033[1;34m[nyx]\033[0m %s\n' "$*"; }

ensure_python_env() {
  if [ ! -x .venv/bin/python ]; then
    log "creating virtualenv (.venv)"
    "$PYTHON" -m venv .venv
  fi
  if [ ! -x .venv/bin/uv ]; then
    log "installing uv $UV_VERSION"
    .venv/bin/python -m pip install --quiet "uv==$UV_VERSION"
  fi
  local want have
  want="$(sha256sum requirements.lock | cut -d' ' -f1)"
  have="$(cat .venv/.lock-sha 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    log "installing pinned Python dependencies (requirements.lock)"
    .venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements.lock
    echo "$want" > .venv/.lock-sha
  fi
}

ensure_bun() {
  if [ ! -x .tools/node_modules/.bin/bun ]; then
    log "installing bun $BUN_VERSION from npm"
    mkdir -p .tools
    npm install --silent --no-audit --no-fund --prefix .tools "bun@$BUN_VERSION" >/dev/null
  fi
}

export_env() {
  export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH"
  export REFLEX_USE_SYSTEM_BUN=1
  export REFLEX_TELEMETRY_ENABLED=false
  # Without this, every `import litellm` tries to download the price table from the internet.
  export LITELLM_LOCAL_MODEL_COST_MAP=True
  export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian chromium (Playwright's own browser download does not work here)"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
}

setup_common() {
  ensure_python_env
  ensure_bun
  export_env
}
