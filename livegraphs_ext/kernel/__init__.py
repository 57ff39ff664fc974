"""The kernel side: what ``import livegraphs_ext as lg`` gives a notebook.

``notebook`` reads the store (or the hub service) from a kernel; ``documents`` finds, lists, imports
and exports shared dashboards and charts and follows their rooms; ``widgets`` and ``dashboard_widget``
are the chart, builder and dashboard widgets; ``bundle`` is their JavaScript; ``sample_data`` writes
the demo datasets. Only the widget modules import ipywidgets, and only when a widget is asked for.
"""
