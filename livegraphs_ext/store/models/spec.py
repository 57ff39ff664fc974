"""A model spec, checked against a dataset's columns, and the limits a fit runs under."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from typing import Any

from ..errors import BadInput
from ..schema import ColumnInfo

KINDS = ("regression", "classification")
ALGORITHMS = ("linear", "boosting")
EVALUATIONS = ("holdout", "cv")
ROLES = {"integer": "number", "float": "number", "date": "date", "datetime": "date"}
#: an integer target with at most this many values is a class label by default
FEW_VALUES = 10
FIELDS = {
    "target",
    "features",
    "kind",
    "algorithm",
    "evaluation",
    "seed",
    "shuffle",
    "time",
    "folds",
    "test_fraction",
    "name",
}


@dataclass(frozen=True)
class ModelLimits:
    """What one fit may use; the host's settings."""

    #: rows used to fit and evaluate; above it a seeded sample
    max_rows: int = 200_000
    #: seconds a fit (all its splits, the final fit and the importance) may take; 0: no limit
    time_limit: float = 120.0
    #: features in one spec
    max_features: int = 50
    #: bytes the fitting process may grow by; 0: no limit
    memory: int = 2 << 30
    #: classes of a classification target
    max_classes: int = 50

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_environment(cls) -> ModelLimits:
        """The limits a Jupyter server with livegraphs gave its kernels (:data:`MODEL_LIMITS_VARIABLE`),
        else the defaults."""
        given = json.loads(os.environ.get(MODEL_LIMITS_VARIABLE) or "{}")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in given.items() if k in names})


#: the environment variable in which a server hands its model limits to its kernels
MODEL_LIMITS_VARIABLE = "LIVEGRAPHS_MODEL_LIMITS"


def _bad(message: str) -> BadInput:
    return BadInput(message, reason="Bad model")


def check_spec(spec: Any, columns: list[ColumnInfo], limits: ModelLimits) -> dict[str, Any]:
    """The spec, complete (defaults filled in, each feature's role), or a clear 400."""
    if not isinstance(spec, dict):
        raise _bad("a model is an object with a 'target' and 'features'")
    extra = set(spec) - FIELDS - {"op", "roles", "time_candidates", "max_rows"}
    if extra:
        raise _bad(f"unexpected field(s) in the model: {', '.join(sorted(extra))}")
    by_name = {c.name: c for c in columns}
    target = spec.get("target")
    if not isinstance(target, str) or target not in by_name:
        raise _bad(f"'target' must name a column of the dataset; got {target!r}")
    features = spec.get("features")
    if not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features):
        raise _bad("'features' must be a non-empty list of column names")
    for f in features:
        if f not in by_name:
            raise _bad(f"feature {f!r} is not a column of the dataset")
    if len(set(features)) != len(features):
        raise _bad("'features' names a column twice")
    if target in features:
        raise _bad(f"the target {target!r} cannot also be a feature")
    if len(features) > limits.max_features:
        raise _bad(f"at most {limits.max_features} features may be used; got {len(features)}")
    t = by_name[target]
    default_kind = (
        "regression"
        if t.type == "float" or (t.type == "integer" and (t.distinct is None or t.distinct > FEW_VALUES))
        else "classification"
    )
    kind = spec.get("kind", default_kind)
    if kind not in KINDS:
        raise _bad(f"'kind' must be one of {', '.join(KINDS)}; got {kind!r}")
    if kind == "regression" and t.type not in ("integer", "float"):
        raise _bad(f"regression needs a number target; {target!r} is {t.type}")
    algorithm = spec.get("algorithm", "linear")
    if algorithm not in ALGORITHMS:
        raise _bad(f"'algorithm' must be one of {', '.join(ALGORITHMS)}; got {algorithm!r}")
    evaluation = spec.get("evaluation", "holdout")
    if evaluation not in EVALUATIONS:
        raise _bad(f"'evaluation' must be one of {', '.join(EVALUATIONS)}; got {evaluation!r}")
    seed = spec.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise _bad("'seed' must be a whole number from 0 to 2**32 - 1")
    folds = spec.get("folds", 5)
    if not isinstance(folds, int) or isinstance(folds, bool) or not 2 <= folds <= 20:
        raise _bad("'folds' must be a whole number from 2 to 20")
    fraction = spec.get("test_fraction", 0.25)
    if not isinstance(fraction, int | float) or isinstance(fraction, bool) or not 0.05 <= fraction <= 0.5:
        raise _bad("'test_fraction' must be a number from 0.05 to 0.5")
    dates = [c.name for c in columns if c.type in ("date", "datetime")]
    time = spec.get("time", "auto")
    if time is not None and time != "auto" and time not in dates:
        raise _bad(f"'time' must name a date or datetime column, 'auto' or null; got {time!r}")
    shuffle = spec.get("shuffle")
    if shuffle is not None and not isinstance(shuffle, bool):
        raise _bad("'shuffle' must be true or false")
    if shuffle and time not in (None, "auto"):
        raise _shuffled_time(time)
    name = spec.get("name", f"{target}_predicted")
    if not isinstance(name, str) or not name or len(name) > 256 or name == "__row":
        raise _bad("'name' (the predictions' column) must be a column name")
    return {
        "target": target,
        "features": list(features),
        "kind": kind,
        "algorithm": algorithm,
        "evaluation": evaluation,
        "seed": seed,
        # None: shuffle unless a date column orders the rows (decided on the data)
        "shuffle": shuffle,
        "time": time,
        "time_candidates": dates,
        "folds": folds,
        "test_fraction": float(fraction),
        "roles": {f: ROLES.get(by_name[f].type, "category") for f in features},
        "name": name,
    }


def _shuffled_time(time: str) -> BadInput:
    return BadInput(
        f"The rows are in time order ({time!r}): a shuffled split would train on the future and test "
        "on the past. Leave 'shuffle' out (or false) for a time-ordered split, or set 'time' to null",
        "Shuffled Time Series",
    )


def settle_shuffle(spec: dict[str, Any], time: str | None) -> dict[str, Any]:
    """The spec with ``shuffle`` decided now that the data says whether ``time`` orders the rows."""
    if spec["shuffle"] and time is not None:
        raise _shuffled_time(time)
    return {**spec, "shuffle": time is None if spec["shuffle"] is None else spec["shuffle"]}
