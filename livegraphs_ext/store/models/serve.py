"""The fitting process: ``python -m livegraphs_ext.store.models.serve JOB_FD ANSWER_FD``.

It reads one job (a Parquet path, a checked spec, the limits, whether to predict, whether to
send the fitted pipeline back), fits it and answers ``("ok", report, predictions, pipeline)``
or ``("error", error class name, message, reason)``.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection


def main(job_fd: int, answer_fd: int) -> None:
    jobs = Connection(job_fd, writable=False)
    answers = Connection(answer_fd, readable=False)
    path, spec, limits, predictions, pipeline = jobs.recv()
    try:
        import pandas as pd
        import pyarrow.parquet as pq

        from ..errors import StoreError
        from .fit import fit_model

        try:
            # as lg.load reads a version: the exported code sees the same frame
            df = pq.read_table(path).to_pandas(types_mapper=pd.ArrowDtype)
            final, report, out = fit_model(df, spec, limits, predictions=predictions)
            answers.send(("ok", report, out, final if pipeline else None))
        except StoreError as e:
            answers.send(("error", type(e).__name__, e.message, e.reason))
        except (ValueError, TypeError, MemoryError) as e:
            answers.send(("error", "BadInput", f"The model could not be fitted: {e}", "Bad model"))
    finally:
        answers.close()
        jobs.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
