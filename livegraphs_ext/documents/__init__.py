"""The shared documents: dashboard (``.lgdash``) and chart (``.lgchart``) files and their Yjs forms.

``dashboard`` and ``chartdoc`` are the ``jupyter_ydoc`` document types; ``specmap`` is the chart spec
as a Yjs map that both share. Nothing here imports tornado or jupyter_server.
"""
