"""Schemathesis over the whole OpenAPI document, as an administrator and anonymously: whatever
the generated request (valid or not), the answer is never a server error."""

from __future__ import annotations

import base64
import contextlib
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from qingfeng.web.app import create_app
from qingfeng.web.liveserver import running_server
from web_helpers import PASSWORD, make_world

# Examples per operation and generation mode (valid and invalid requests): the administrator
# reaches the handlers, the anonymous caller the sign-in checks. About 40 s on an idle machine.
EXAMPLES = {"administrator": 2, "anonymous": 1}
pytestmark = pytest.mark.slow


def _basic(username: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_no_server_errors_across_the_openapi_document(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = make_world(tmp_path)
    with running_server(create_app(world.settings)) as base:
        _fuzz(schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json"))


def _fuzz(schema) -> None:  # type: ignore[no-untyped-def]
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 40
    failures: list[str] = []
    calls = 0
    started = time.perf_counter()

    def run(who: str, headers: dict[str, str], operation, mode) -> None:  # type: ignore[no-untyped-def]
        nonlocal calls

        @settings(
            max_examples=EXAMPLES[who],
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case) -> None:  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            # generous: the first export compiles the model library (seconds on a busy machine)
            response = case.call(headers=headers, timeout=180)
            if response.status_code >= 500:
                failures.append(
                    f"{who}: {case.method} {case.formatted_path} "
                    f"query={case.query} → {response.status_code}"
                )

        with contextlib.suppress(Unsatisfiable):
            check()

    for who, headers in (("administrator", _basic("admin")), ("anonymous", {})):
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run(who, headers, operation, mode)
    elapsed = time.perf_counter() - started
    assert failures == [], "\n".join(failures[:20])
    assert calls >= len(operations) * 2, calls
    print(f"{len(operations)} operations, {calls} requests, {elapsed:.1f} s")
