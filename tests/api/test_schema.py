"""The OpenAPI schema validates, and the live API keeps to it under Schemathesis's generated requests.

Schemathesis loads the schema from /api/schema/ and calls the API in-process through Django's WSGI
handler, as staff (API token) and as an expert (bearer token), with a bounded number of examples per
operation. Checks: never a 5xx, and every answer (errors included) conforms to the schema: its
status is documented, its content type too, and its body validates.

Each operation runs through Hypothesis directly rather than through Schemathesis's pytest plugin,
whose lazy fixtures do not yet run on pytest 9. Path parameters are pinned to the test world's
objects (the study, round 1, item C2, ...), so the generated bodies reach the services instead of
stopping at a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import World

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ = settings(
    max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)


def test_the_openapi_schema_validates_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/me/ballot/" in text and "expertToken" in text


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI app, minus the connection cleanup between requests (as Django's test client does):
    closing the connection would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _live_schema(app: WSGIHandler, path_regex: str) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app).include(path_regex=path_regex)


def _pinned(world: World, operation: Any) -> dict[str, str]:
    """The operation's path parameters, set to the test world's objects."""
    known = {
        "study_slug": world.study.slug,
        "round_number": "1",
        "code": "C2",
        "item_code": "C2",
        "key": "feasibility",
        "panelist_id": str(world.expert_b.pk),
        "job_id": str(world.report.pk),
        "suggestion_id": str(world.suggestion.pk),
    }
    names = {parameter.name for parameter in operation.path_parameters}
    return {name: value for name, value in known.items() if name in names}


def _fuzz(schema: Any, world: World, authorization: str) -> list[str]:
    """Run every operation with generated valid and invalid requests; the failures, described."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(
                mode, path_parameters=_pinned(world, operation), headers={"Authorization": authorization}
            )

            @FUZZ
            @given(case=strategy)
            def run(case: Any) -> None:
                case.call_and_validate(checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid, e.g. a GET with its path pinned
                continue
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures


@pytest.mark.slow
def test_the_facilitator_api_keeps_to_its_schema(world: World, wsgi_app: WSGIHandler) -> None:
    schema = _live_schema(wsgi_app, r"^/api/v1/(?!me/)")
    failures = _fuzz(schema, world, f"Token {world.staff_token}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_the_expert_api_keeps_to_its_schema(world: World, wsgi_app: WSGIHandler, settings: Any) -> None:
    rates = {"expert": "100000/min"}  # the fuzzing itself must not hit the rate limit
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    schema = _live_schema(wsgi_app, r"^/api/v1/me/")
    failures = _fuzz(schema, world, f"Bearer {world.token_a}")
    assert not failures, "\n\n".join(failures)
