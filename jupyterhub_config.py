"""JupyterHub configuration of a livegraphs hub: ``jupyterhub -f jupyterhub_config.py``.

Everything is set by ``hub/livegraphs_hub/config.py`` from environment variables (its docstring lists
them); ``scripts/start.sh`` runs the hub with this file. Add site-specific settings below.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "hub"))

from livegraphs_hub.accounts import AccountError, prepare_host  # noqa: E402
from livegraphs_hub.config import configure  # noqa: E402

c = get_config()  # type: ignore[name-defined]  # noqa: F821
try:
    hub = configure(c, ROOT)
    if hub["host"] is not None:
        # Run as root: the service's account and the modes of the hub's state, before anything starts.
        prepare_host(hub["host"])
except (AccountError, ValueError) as e:
    sys.exit(f"livegraphs hub: {e}")
