"""The shared documents: dashboard (``.lgdash``) and chart (``.lgchart``) files and their Yjs forms.

``dashboard`` and ``chartdoc`` are the ``jupyter_ydoc`` document types; ``specmap`` is the chart spec
as a Yjs map that both share. Nothing here imports tornado or jupyter_server.
"""

# jupyter_ydoc loads every ``jupyter_ydoc`` entry point when first imported, ours (``.dashboard``,
# ``.chartdoc``) among them; importing it here, before either module, keeps that from finding them
# half-imported whichever one a program imports first. Here and not in ``livegraphs_ext``: a
# notebook kernel never needs it (nor the whole store its entry points import).
import jupyter_ydoc  # noqa: F401
