"""Generated requests against every API operation (schemathesis, from the OpenAPI document):
no request gets a server error, and every response, error or not, matches what the
document says (status, media type, body schema).

The only 5xx allowed is a 503 naming a component this test platform does not configure
(no language model for questions about data, no spaCy model); anything else, a 500 above
all, fails. The examples are derandomised, so a run is repeatable; ``DUALTRACK_FUZZ_EXAMPLES``
raises how many are tried per operation and role (the default keeps the suite fast).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from dualtrack.api.app import create_app
from dualtrack.bootstrap import Platform
from tests.e2e.fuzz_support import governed_platform

EXAMPLES = int(os.environ.get("DUALTRACK_FUZZ_EXAMPLES", "8"))
NOT_CONFIGURED = {"research-llm-unavailable", "privacy-profile-unavailable"}
ROLES = ("dev", "carol", "ana", "audrey")
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_platform(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Platform, dict[str, dict[str, str]]]]:
    """A platform with a user per role, the demo's AI systems, sanctions lists and dealers, a
    deployed fraud model, and an API key per role."""
    platform, people = governed_platform(tmp_path_factory.mktemp("fuzz"))
    keys = {
        name: {
            "Authorization": "Bearer "
            + platform.identity.issue_api_key(people.admin, username=name, label="fuzz")
        }
        for name in ROLES
    }
    yield platform, keys
    platform.close()


@pytest.fixture(scope="module")
def api_keys(
    fuzz_platform: tuple[Platform, dict[str, dict[str, str]]],
) -> dict[str, dict[str, str]]:
    return fuzz_platform[1]


@pytest.fixture(scope="module")
def api_schema(fuzz_platform: tuple[Platform, dict[str, dict[str, str]]]) -> Any:
    app = create_app(platform=fuzz_platform[0])
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def _send_generated_requests(
    schema: Any, headers: dict[str, str], mode: GenerationMode = GenerationMode.POSITIVE
) -> int:
    """Hypothesis examples for every operation of ``schema``, sent with ``headers``; returns
    how many operations were exercised. (Schemathesis's own pytest integration for a
    schema built in a fixture does not run on this pytest release.) In the negative mode
    every request breaks the document somewhere (a wrong type, a missing field, a value out
    of range) and must be refused with a 4xx."""
    checks = [negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS
    operations = [result.ok() for result in schema.get_all_operations()]
    exercised = 0
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                body = response.json()
                assert response.status_code == 503 and body.get("code") in NOT_CONFIGURED, (
                    f"{case.method} {case.formatted_path} answered {response.status_code}: {body}"
                )
            case.validate_response(response, checks=checks)

        try:
            check()
        except Unsatisfiable:  # negative mode: nothing in this operation to break
            if mode is GenerationMode.POSITIVE:
                raise
            continue
        exercised += 1
    return exercised


@pytest.mark.parametrize("role", ROLES)
def test_generated_requests_get_documented_answers_and_no_server_error(
    api_schema: Any, api_keys: dict[str, dict[str, str]], role: str
) -> None:
    assert _send_generated_requests(api_schema, api_keys[role]) > 80


@pytest.mark.parametrize("role", ("dev", "carol"))
def test_requests_that_break_the_document_are_refused(
    api_schema: Any, api_keys: dict[str, dict[str, str]], role: str
) -> None:
    """Every request breaks the document somewhere and must get a 4xx. The schemathesis
    command line (coverage phase, 30 examples per operation) found a boolean ``mask_keep``
    and a boolean ``device_id`` in a transaction accepted, and this test, text fields
    taking more than their ``maxLength`` when they began or ended with spaces (all fixed).
    At 8 examples it is a cheaper net than the command line: with the ``mask_keep`` fix
    reverted it still passed, so the fixes have tests of their own. Operations with nothing
    to break (no parameters, no body) are skipped; about 58 of 100 remain."""
    assert _send_generated_requests(api_schema, api_keys[role], GenerationMode.NEGATIVE) >= 50
