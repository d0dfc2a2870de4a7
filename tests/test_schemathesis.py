"""Schemathesis against the app's own /openapi.json (service/meta.py): every documented operation
is called with data generated from its description, positive and negative.

Checked in CI: no 5xx from any operation (the documented 503 of a query stopped at the time
limit aside), and every answer's status code and content type are ones the description
documents for that operation (errors included, in each representation the service writes them:
JSON, HTML or plain text by Accept).

Bounded and reproducible in CI (derandomized, 25 examples per operation and mode; 8 for the
conformance pass); `make fuzz` scales both by AI45_FUZZ_SCALE.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

pytestmark = pytest.mark.slow

SCALE = max(1, int(os.environ.get("AI45_FUZZ_SCALE", "1") or 1))
EXAMPLES = 25 * SCALE
CONFORMANCE_EXAMPLES = 8 * SCALE


def _run(operation: schemathesis.APIOperation, mode: GenerationMode, checks: list[Any],
         examples: int) -> int:
    """Call `operation` with generated cases and validate each answer; how many were made."""
    calls = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, derandomize=SCALE == 1, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        nonlocal calls
        calls += 1
        response = case.call()
        if response.status_code == 503 and b"QueryTimeout" in response.content:
            return  # stopped at the time limit: documented, not the API's shape
        case.validate_response(response, checks=checks)

    try:
        run()
    except Unsatisfiable:
        pass  # no parameters and no body: there is no invalid request to make
    return calls


def _walk(app: Flask, checks: list[Any], modes: list[GenerationMode],
          examples: int) -> tuple[list[str], int]:
    api = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures: list[str] = []
    calls = 0
    for result in api.get_all_operations():
        operation = result.ok()
        for mode in modes:
            try:
                calls += _run(operation, mode, checks, examples)
            except (Exception, BaseExceptionGroup) as exc:  # one entry per operation and mode
                lines = [line for line in str(exc).strip().splitlines() if line.strip()][:8]
                failures.append(f"{operation.label} [{mode.value}]: " + " | ".join(lines))
    return failures, calls


def test_no_server_error_for_any_documented_operation(app: Flask) -> None:
    """schemathesis's pytest plugin does not run under pytest 9 yet: the operations are walked
    here, each with positive and negative data."""
    failures, calls = _walk(app, [not_a_server_error],
                            [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], EXAMPLES)
    assert failures == [], "\n".join(failures)
    assert calls >= 500


def test_answers_conform_to_the_openapi_description(app: Flask) -> None:
    failures, _ = _walk(app, [status_code_conformance, content_type_conformance],
                        [GenerationMode.POSITIVE], CONFORMANCE_EXAMPLES)
    assert failures == [], "\n".join(failures)


def test_openapi_describes_every_route(app: Flask) -> None:
    doc = app.test_client().get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {path for path in doc["paths"]}
    assert "/sparql" in documented and "/admin/reload" in documented
