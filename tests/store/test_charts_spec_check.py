"""The chart spec's schema check: a fast validator decides, jsonschema explains a refusal; both agree."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import fastjsonschema
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livegraphs_ext.store.charts import check_shape, spec_schema
from livegraphs_ext.store.errors import BadInput

VALID: list[dict[str, Any]] = [
    {"version": 1, "dataset": {"name": "sales"}, "mark": "bar",
     "encoding": {"x": {"field": "order_date", "timeUnit": "month"},
                  "y": {"field": "revenue", "aggregate": "sum"}, "color": {"field": "region"}},
     "filters": [{"column": "region", "cmp": "in", "value": ["East", "West"]}],
     "sort": {"by": "y", "order": "descending"}, "limit": 10},
    {"version": 1, "dataset": {"id": "0" * 32, "version": 2}, "mark": "histogram",
     "encoding": {"x": {"field": "price", "bin": {"maxbins": 30}}, "y": {"aggregate": "count"}},
     "max_marks": 500, "title": "Prices"},
    {"version": 1, "dataset": {"name": "chat_sessions"}, "mark": "line",
     "encoding": {"x": {"field": "started"}, "y": {"field": "wait", "aggregate": "mean"},
                  "tooltip": [{"field": "country"}]},
     "options": {"downsample": "lttb"},
     "overlays": [{"kind": "trend", "method": "loess"},
                  {"kind": "forecast", "periods": 6, "seasonality": "auto", "interval": 0.8}]},
]  # fmt: skip

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
KEYS = st.sampled_from(
    ["version", "dataset", "mark", "encoding", "x", "y", "color", "field", "aggregate", "bin", "timeUnit",
     "filters", "column", "cmp", "value", "sort", "limit", "max_marks", "options", "id", "name", "tooltip",
     "maxbins", "step", "title", "by", "order", "overlays", "kind", "method", "periods", "seasonality",
     "interval", "unknown"]
)  # fmt: skip


def _containers(node: Any) -> list[Any]:
    found = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        if isinstance(child, dict | list):
            found.extend(_containers(child))
    return found


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    """A valid spec with one to three changes: a value replaced or added, or a key dropped."""
    spec = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_containers(spec)))
        if isinstance(target, dict):
            key = draw(KEYS | st.sampled_from(sorted(target) or ["x"]))
            if key in target and draw(st.booleans()):
                del target[key]
            else:
                target[key] = draw(JSON)
        elif target:
            target[draw(st.integers(0, len(target) - 1))] = draw(JSON)
    return spec


def full_errors(spec: Any) -> list[Any]:
    return list(jsonschema.Draft202012Validator(spec_schema()).iter_errors(spec))


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(spec_schema())


@settings(max_examples=400, deadline=None)
@given(spec=mutated_specs())
def test_the_fast_check_and_jsonschema_agree(spec: Any) -> None:
    fast = fastjsonschema.compile(spec_schema(), use_default=False, use_formats=False)
    try:
        fast(copy.deepcopy(spec))
        fast_ok = True
    except fastjsonschema.JsonSchemaValueException:
        fast_ok = False
    assert fast_ok == (full_errors(spec) == []), json.dumps(spec)


@pytest.mark.parametrize("spec", VALID)
def test_valid_specs_pass_unchanged(spec: dict[str, Any]) -> None:
    assert check_shape(copy.deepcopy(spec)) == spec


def test_a_refused_spec_is_explained_by_jsonschema() -> None:
    spec = {**VALID[0], "encoding": {"x": {"field": "order_date", "timeUnit": "fortnight"}}}
    with pytest.raises(BadInput, match=r"^encoding\.x\.timeUnit: 'fortnight' is not one of"):
        check_shape(spec)


def test_a_valid_spec_is_checked_without_importing_jsonschema() -> None:
    # jsonschema's import builds URI grammars (about 2 s): a notebook's first chart must not pay it
    code = (
        "import sys, json\n"
        "from livegraphs_ext.store.charts import check_shape\n"
        f"check_shape(json.loads({json.dumps(json.dumps(VALID[0]))}))\n"
        "print('jsonschema' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"


def test_the_notebook_module_imports_no_model_or_forecast_library() -> None:
    # scikit-learn, scipy and statsmodels take 1 to 2 s to import: a notebook's first chart, and a
    # server that fits no model, must not pay it
    code = (
        "import sys\n"
        "import livegraphs_ext as lg\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'statsmodels') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
