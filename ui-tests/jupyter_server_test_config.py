"""Server configuration for the integration tests.

Opens the server to any browser without a token or XSRF check, so the tests
can call the REST API directly; use it only for tests.
"""

import shutil
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined] # noqa: F821

configure_jupyter_server(c)

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.allow_root = True

# Every run starts from an empty dataset store. It is emptied at start-up rather
# than at exit because the test runner kills the server without a clean shutdown.
_data_dir = Path(__file__).resolve().parent / ".livegraphs-data"
shutil.rmtree(_data_dir, ignore_errors=True)
_data_dir.mkdir()
c.LiveGraphsApp.data_dir = str(_data_dir)
