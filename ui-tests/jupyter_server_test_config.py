"""Server configuration for the integration tests.

Opens the server to any browser without a token or XSRF check, so the tests
can call the REST API directly; use it only for tests.
"""

import atexit
import shutil
import tempfile

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined] # noqa: F821

configure_jupyter_server(c)

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.allow_root = True

# Every run starts from an empty dataset store, removed when the server exits.
_data_dir = tempfile.mkdtemp(prefix="livegraphs-ui-tests-")
atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
c.LiveGraphsApp.data_dir = _data_dir
