# Sourced by start.sh and test.sh. A hub run as root runs each user's server, and the livegraphs
# service, as a system account of its own: those accounts must be able to run the Python of .venv and
# read this checkout. A Python under /root (pyenv's, say) or a checkout there (mode 0700) is closed
# to them; these pick a Python they can run and say plainly when the checkout is out of their reach.

# Can an unprivileged account (nobody) run this command?
others_can() { runuser -u nobody -- "$@" >/dev/null 2>&1; }

# The Python to make .venv with: $PYTHON if set, else python3, unless that is closed to other
# accounts while the system's /usr/bin/python3 is not (only matters when run as root).
python_for_accounts() {
  local py=${PYTHON:-python3}
  if [ "$(id -u)" = 0 ] && [ -z "${PYTHON:-}" ] && command -v runuser >/dev/null; then
    local real
    real=$("$py" -c 'import os, sys; print(os.path.realpath(sys.executable))')
    if ! others_can "$real" -c 'import venv' && others_can /usr/bin/python3 -c 'import venv'; then
      echo "$real cannot be run by other accounts; using /usr/bin/python3 for .venv" >&2
      py=/usr/bin/python3
    fi
  fi
  echo "$py"
}

# Run as root: say so when the checkout is out of other accounts' reach (and stop, unless $2 is
# "warn": the tests then fail with the hub's own message); make .venv again if they cannot run its Python.
check_reachable_by_accounts() {
  [ "$(id -u)" = 0 ] && command -v runuser >/dev/null || return 0
  if ! others_can test -r "$1/livegraphs_ext/__init__.py"; then
    echo "The hub runs each user's server as their own system account, and those accounts cannot read" >&2
    echo "this checkout ($1): a folder above it is closed to them (as /root is: mode 0700)." >&2
    echo "Clone livegraphs into /opt/livegraphs or /srv/livegraphs and start it from there." >&2
    [ "${2:-}" = warn ] || exit 1
  fi
  if [ -x "$1/.venv/bin/python" ] && ! others_can "$1/.venv/bin/python" -c ''; then
    echo "Other accounts cannot run $1/.venv's Python ($(readlink -f "$1/.venv/bin/python")); making .venv again." >&2
    rm -rf "$1/.venv"
  fi
}
