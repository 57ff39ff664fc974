"""Hub-side parts of livegraphs: logins (sign-up accounts and OAuth side by side) and the hub config.

``jupyterhub_config.py`` at the repository root calls :func:`livegraphs_hub.config.configure`; a
Zero-to-JupyterHub deployment does the same from ``hub.extraConfig`` (see ``hub/values.yaml``).
"""

from __future__ import annotations

__all__ = ["ADMIN_GROUP", "ADMIN_SCOPE", "ALL_USERS_GROUP", "SERVICE_NAME", "SIGNUPS_SCOPE"]

#: The hub group whose members are livegraphs admins (beside hub admins).
ADMIN_GROUP = "livegraphs-admins"
#: The hub group every user joins at their first login (the sample datasets are shared with it).
ALL_USERS_GROUP = "everyone"
#: The custom scope that makes a user a livegraphs admin in the service.
ADMIN_SCOPE = "custom:livegraphs:admin"
#: The custom scope that lets its holder list, approve and discard pending sign-ups.
SIGNUPS_SCOPE = "custom:livegraphs:signups"
#: The hub service's name; it is served at ``/services/livegraphs/``.
SERVICE_NAME = "livegraphs"
