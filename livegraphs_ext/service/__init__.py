"""The livegraphs JupyterHub service: ``python -m livegraphs_ext.service``.

It hosts the same dataset store as the laptop extension, behind the hub's
authentication, and adds ownership, sharing, an activity log and metrics.
"""

from .app import LiveGraphsService, main

__all__ = ["LiveGraphsService", "main"]
