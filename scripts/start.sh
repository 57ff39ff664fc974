#!/usr/bin/env bash
# Install livegraphs into .venv/ and start the livegraphs JupyterHub on http://localhost:8000:
# sign-up accounts (an admin approves them), the extension in every user's JupyterLab, the sample
# datasets, and the admin pages. The first start prints the first admin's password, once.
# Run as root, every user's server runs as their own system account (hub/README.md); run as anyone
# else, the hub serves that one person only (no sign-up, no OAuth logins).
# `scripts/start.sh --lab` starts a single JupyterLab on http://127.0.0.1:8888 instead (a laptop).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/accounts.sh
[ "${1:-}" = "--lab" ] || check_reachable_by_accounts "$ROOT"
[ -x .venv/bin/python ] || "$(python_for_accounts)" -m venv .venv
.venv/bin/python -m pip install -q -U pip
# Building the front end from source needs Node.js (a wheel install does not); so does the hub's proxy.
command -v node >/dev/null || { echo "Node.js 20+ is needed to build from source (apt-get install nodejs)"; exit 1; }

extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)

if [ "${1:-}" = "--lab" ]; then
  shift
  .venv/bin/python -m pip install -q -e ".[lab]"
  export LIVEGRAPHS_DATA_DIR=${LIVEGRAPHS_DATA_DIR:-$ROOT/.state/livegraphs}
  mkdir -p "$ROOT/.state/notebooks"
  .venv/bin/livegraphs-sample-data --out "$ROOT/.state/sample-data"
  exec .venv/bin/jupyter lab --ip=127.0.0.1 --port="${PORT:-8888}" --no-browser \
    --ServerApp.root_dir="$ROOT/.state/notebooks" --LiveGraphsApp.data_dir="$LIVEGRAPHS_DATA_DIR" "${extra[@]}" "$@"
fi

.venv/bin/python -m pip install -q -e ".[lab,hub]"
[ -x hub/node_modules/.bin/configurable-http-proxy ] || (cd hub && npm ci --no-audit --no-fund --loglevel=error)

export LIVEGRAPHS_HUB_STATE=${LIVEGRAPHS_HUB_STATE:-$ROOT/.state/hub}
PYTHONPATH="$ROOT/hub" .venv/bin/python -m livegraphs_hub.seed --data-dir "$LIVEGRAPHS_HUB_STATE/livegraphs"

if [ "$(id -u)" = 0 ]; then
  echo "Run as root: each user's server and kernels run as their own system account" \
    "(${LIVEGRAPHS_ACCOUNT_PREFIX:-lg-}<name>), the service as '${LIVEGRAPHS_SERVICE_ACCOUNT:-livegraphs}'."
else
  echo "NOT run as root: this hub cannot give each user their own system account, so it serves only you:"
  echo "  sign-up and OAuth logins are off; log in as the first admin. Run it as root to host other people."
fi
# Users' servers and the service are on subdomains of the hub's host (hub/README.md, "Origins")
hub_url=${LIVEGRAPHS_PUBLIC_URL:-${LIVEGRAPHS_SUBDOMAIN_HOST:-http://localhost:${LIVEGRAPHS_HUB_PORT:-8000}}}
case "$hub_url" in off | none | 0 | false | no) hub_url="http://${LIVEGRAPHS_HUB_IP:-127.0.0.1}:${LIVEGRAPHS_HUB_PORT:-8000}" ;; esac
url="${hub_url%/}/hub/login"
echo "livegraphs hub starting: log in at $url"
if [ -f "$LIVEGRAPHS_HUB_STATE/jupyterhub.sqlite" ]; then
  echo "  (not the first start: the first admin's password was shown then; sign-up is at /hub/signup)"
fi
exec .venv/bin/jupyterhub -f jupyterhub_config.py "$@"
