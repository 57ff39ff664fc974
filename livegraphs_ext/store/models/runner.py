"""Run a fit in a process of its own (:mod:`..workerproc`), so that it can be stopped.

scikit-learn cannot be interrupted inside a fit, so the process is the unit of stopping: past
the time limit, past its memory, or when the caller's :class:`~..stopping.QueryControl` stops it
(the caller went away), it is killed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .. import errors
from ..errors import StoreError, TimedOut, TooLarge
from ..stopping import check_stopped, watched
from ..workerproc import ENVIRONMENT, PAST_DEADLINE, TOO_MUCH, WorkerProcess, wait
from .spec import ModelLimits

#: the environment of a fitting process: a worker's, and OpenMP's threads (scikit-learn's boosting)
_ENVIRONMENT = (*ENVIRONMENT, "OMP_NUM_THREADS")


def timed_out(limit: float) -> TimedOut:
    return TimedOut(
        f"Training ran past its time limit of {limit:g} s and was stopped: use fewer rows or "
        "features, a holdout instead of folds, or the linear algorithm",
        "Training Timeout",
    )


def run_fit(
    path: Path,
    spec: dict[str, Any],
    limits: ModelLimits,
    *,
    predictions: bool = False,
    pipeline: bool = False,
) -> dict[str, Any]:
    """Fit ``spec`` on the Parquet file at ``path`` in a fitting process.

    Returns ``{"report", "predictions", "pipeline"}``: predictions a NumPy array for every row
    when asked for, the pipeline fitted on every usable row when asked for (else None).
    Raises the fit's own store error, :class:`TimedOut` (408) past ``limits.time_limit``,
    :class:`TooLarge` (413) past ``limits.memory``, or the current control's error when stopped.
    """
    check_stopped()
    fitter = WorkerProcess("livegraphs_ext.store.models.serve", _ENVIRONMENT)
    try:
        with watched(fitter):
            fitter.jobs.send((str(path), spec, limits, predictions, pipeline))
            deadline = time.monotonic() + limits.time_limit if limits.time_limit > 0 else None
            message = wait(fitter, deadline, limits.memory)
        check_stopped()
    finally:
        fitter.close()
    if message is None:
        raise StoreError("The fitting process ended without an answer", "Training Failed")
    if message == PAST_DEADLINE:
        raise timed_out(limits.time_limit)
    if message == TOO_MUCH:
        raise TooLarge(
            f"Training needed more than its memory limit of {limits.memory >> 20} MiB and was stopped: "
            "use fewer rows or features",
            "Training Too Large",
        )
    if message[0] == "error":
        _, name, text, reason = message
        cls = getattr(errors, name, errors.BadInput)
        raise cls(text, reason)
    _, report, out, fitted = message
    return {"report": report, "predictions": out, "pipeline": fitted}
