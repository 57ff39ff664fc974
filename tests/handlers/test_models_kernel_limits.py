"""The server hands its model limits to the kernels it starts, for ``lg.model``."""

from __future__ import annotations

from typing import Any

import pytest

from livegraphs_ext.store.models.spec import MODEL_LIMITS_VARIABLE, ModelLimits


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # the server sets the variable in its (here: the test's) environment; put it back afterwards
    monkeypatch.delenv(MODEL_LIMITS_VARIABLE, raising=False)
    settings = {"model_time_limit": 7.5, "model_max_rows": 1234, "model_memory_limit": 5 << 20}
    return {**jp_server_config, "LiveGraphsApp": {**jp_server_config["LiveGraphsApp"], **settings}}


async def test_the_server_hands_its_model_limits_to_its_kernels(jp_serverapp: Any) -> None:
    limits = ModelLimits.from_environment()
    assert (limits.time_limit, limits.max_rows, limits.memory) == (7.5, 1234, 5 << 20)
    assert limits.max_features == ModelLimits().max_features
