"""The published JSON Schema of a model spec (docs/model-spec.schema.json).

Regenerate with `python -m qingfeng.engine.schema > docs/model-spec.schema.json`; a test fails
when the published file drifts from the code.
"""

from __future__ import annotations

import json
from typing import Any

from qingfeng.engine.spec import ModelSpec


def json_schema() -> dict[str, Any]:
    schema = ModelSpec.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(json_schema_text(), end="")
