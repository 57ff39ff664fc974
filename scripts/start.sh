#!/usr/bin/env bash
# Install livegraphs into .venv/ and start JupyterLab with the extension and the sample datasets.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q -U pip
# Building the front end from source needs Node.js (a wheel install does not).
command -v node >/dev/null || { echo "Node.js 20+ is needed to build from source (apt-get install nodejs)"; exit 1; }
.venv/bin/python -m pip install -q -e ".[lab]"

export LIVEGRAPHS_DATA_DIR=${LIVEGRAPHS_DATA_DIR:-$ROOT/.state/livegraphs}
mkdir -p "$ROOT/.state/notebooks"
.venv/bin/livegraphs-sample-data --out "$ROOT/.state/sample-data"

extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
exec .venv/bin/jupyter lab --ip=127.0.0.1 --port="${PORT:-8888}" --no-browser \
  --ServerApp.root_dir="$ROOT/.state/notebooks" --LiveGraphsApp.data_dir="$LIVEGRAPHS_DATA_DIR" "${extra[@]}" "$@"
