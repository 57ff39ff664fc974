#!/usr/bin/env bash
# Install everything the tests need (Debian chromium and PostgreSQL included) and run every test:
# linters, pytest (with real PostgreSQL) and the Galata browser tests in Debian chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# The hub tests run users' servers as accounts of their own when run as root (CI): see accounts.sh.
. scripts/accounts.sh
check_reachable_by_accounts "$ROOT" warn
export PIP_DISABLE_PIP_VERSION_CHECK=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_ready=""
apt_install() {
  [ -n "$apt_ready" ] || { as_root apt-get update -qq; apt_ready=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- system parts: Node.js, Debian chromium, PostgreSQL
command -v node >/dev/null || apt_install nodejs npm
[ -x /usr/bin/chromium ] || apt_install chromium
if ! command -v pg_isready >/dev/null; then apt_install postgresql; fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  for v in /etc/postgresql/*; do as_root pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true; done
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
export LIVEGRAPHS_TEST_POSTGRES_URL=${LIVEGRAPHS_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}

# --- Python side
[ -x .venv/bin/python ] || "$(python_for_accounts)" -m venv .venv
.venv/bin/python -m pip install -q -U pip
.venv/bin/python -m pip install -q -e ".[test,lint,lab]"

# --- front end (built by the editable install above) and its tests' dependencies
(cd ui-tests && ../.venv/bin/jlpm install --immutable >/dev/null 2>&1 || ../.venv/bin/jlpm install)

# --- JupyterHub's proxy for the hub tests (configurable-http-proxy, into hub/node_modules)
(cd hub && npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund)
# --- a real OpenID Connect provider (panva/oidc-provider) for the OAuth login tests
(cd hub/oidc-test && npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund)

# --- linters
bash scripts/lint.sh

# --- Python tests
.venv/bin/python -m pytest -q -p no:cacheprovider --durations=25 "$@"

# --- browser tests (Galata in Debian chromium)
(cd ui-tests && PATH="$ROOT/.venv/bin:$PATH" ../.venv/bin/jlpm playwright test)
