#!/usr/bin/env bash
# Run every linter, Python and TypeScript; exit non-zero if any of them fails.
# All checks run even after a failure, so one run reports every problem.
set -uo pipefail

cd "$(dirname "$0")/.."

# Prefer the project's venv when it exists and none is active.
if [[ -z "${VIRTUAL_ENV:-}" && -x .venv/bin/python ]]; then
  export PATH="$PWD/.venv/bin:$PATH"
fi

failed=()

run() {
  local label=$1
  shift
  echo "==> $label: $*"
  if ! "$@"; then
    failed+=("$label")
  fi
}

run "ruff format" ruff format --check .
run "ruff check" ruff check .
run "mypy" mypy
run "ts lint" jlpm lint:check

if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "All linters passed."
