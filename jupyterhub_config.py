"""JupyterHub configuration of a livegraphs hub: ``jupyterhub -f jupyterhub_config.py``.

Everything is set by ``hub/livegraphs_hub/config.py`` from environment variables (its docstring lists
them); ``scripts/start.sh`` runs the hub with this file. Add site-specific settings below.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "hub"))

from livegraphs_hub.config import configure  # noqa: E402

c = get_config()  # type: ignore[name-defined]  # noqa: F821
configure(c, ROOT)
