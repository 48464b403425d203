"""Contract fuzzing: schemathesis cases from the Mastodon schema, sent to a live Shutter.

The app runs under uvicorn in a thread of its own (its own event loop, apart from the
test session's), so a synchronous test can drive it with schemathesis' `Case.call`.
Every response is checked as it comes; findings are collected, not raised, so one run
reports them all.
"""

from __future__ import annotations

import copy
import functools
import itertools
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
import uvicorn
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from schemathesis import APIOperation, BaseSchema, Case, CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.live import free_port

# Streams answer with an event stream that only ends when the client leaves.
UNENDING_PREFIXES = ("/api/v1/streaming",)
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 20.0
EXCERPT = 400

_PARAMETER = re.compile(r"\{[^}]*\}")


def _template(path: str) -> str:
    """A path with every parameter blanked: `/a/{id:id}/b` and `/a/{id}/b` compare equal."""
    return _PARAMETER.sub("{}", path)


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(METHOD, path template) of every HTTP route `app` serves."""
    served = set()
    for route in iter_route_contexts(app.routes):
        if route.path is None:  # a mount (static files): no operation of the schema
            continue
        for method in route.methods or ():
            served.add((method.upper(), _template(route.path)))
    return served


def served_operations(schema: BaseSchema, app: FastAPI) -> list[APIOperation]:
    """The schema's operations that `app` serves, streams left out: reads first, then
    writes, and last the writes that remove (DELETE, clear, dismiss, block…), so the data
    made for the run lives through as many operations as it can."""
    served = served_routes(app)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        if operation.path.startswith(UNENDING_PREFIXES):
            continue
        if (operation.method.upper(), _template(operation.path)) in served:
            operations.append(operation)
    return sorted(operations, key=_stage)


# Writes whose success takes away what later operations would use.
_REMOVING_SUFFIXES = ("/clear", "/dismiss", "/block", "/unfollow", "/remove_from_followers")


def _stage(operation: APIOperation) -> int:
    method = operation.method.upper()
    if method == "GET":
        return 0
    if method == "DELETE" or operation.path.endswith(_REMOVING_SUFFIXES):
        return 2
    return 1


@dataclass
class Caller:
    """Who sends the cases, with `headers` on each. `known` gives, per first path segment
    after the API version (`statuses`, `accounts`…), ids that exist, to put in paths
    beside generated ones; `bodies` gives, per "METHOD /path", body fields that make a
    generated body refer to records that exist (a reply to a real post)."""

    name: str
    headers: dict[str, str] = field(default_factory=dict)
    known: Mapping[str, Sequence[str]] = field(default_factory=dict)
    bodies: Mapping[str, Sequence[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Finding:
    caller: str
    operation: str
    problem: str
    request: str
    status: int
    body: str

    def __str__(self) -> str:
        return (
            f"[{self.caller}] {self.operation} -> {self.status}\n"
            f"  problem: {self.problem}\n"
            f"  request: {self.request}\n"
            f"  body: {self.body}"
        )


@dataclass
class Outcome:
    requests: int = 0
    findings: list[Finding] = field(default_factory=list)
    # Operations whose cases could not be generated: not a server defect, but untested.
    ungenerated: list[str] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.requests += other.requests
        self.findings += other.findings
        self.ungenerated += other.ungenerated


def _collection(path: str) -> str:
    """`statuses` for /api/v1/statuses/{id}/context: what the path's parameter names."""
    parts = [part for part in path.split("/") if part]
    if parts[:1] == ["api"]:
        parts = parts[2:]
    return parts[0] if parts else ""


def _with_fields(case: Case, *, fields: dict[str, Any]) -> Case:
    if isinstance(case.body, dict):
        case.body = {**case.body, **fields}
    return case


def _variants(
    operation: APIOperation, caller: Caller, max_examples: int
) -> Iterator[tuple[st.SearchStrategy[Case], int]]:
    """Strategies with their budgets: generated cases, valid and invalid; then valid ones
    aimed at records that exist, each with a smaller budget of its own (in one `one_of`
    hypothesis would spend most of it on the few distinct fixed paths)."""
    yield (
        st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ),
        max_examples,
    )
    aimed = max(1, max_examples // 4)
    names = [name.strip("{}") for name in _PARAMETER.findall(operation.path)]
    for value in caller.known.get(_collection(operation.path), ()) if names else ():
        fixed = {name: value for name in names}
        yield operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed), aimed
    for fields in caller.bodies.get(f"{operation.method.upper()} {operation.path}", ()):
        strategy = operation.as_strategy(GenerationMode.POSITIVE)
        yield strategy.map(functools.partial(_with_fields, fields=fields)), aimed


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def _check(case: Case, response: schemathesis.Response) -> list[str]:
    """What is wrong with `response`: a server error for anything sent, and, for a
    success, a body that is not the documented entity."""
    checks: list[CheckFunction] = [not_a_server_error]
    if 200 <= response.status_code < 300:
        checks.append(response_schema_conformance)
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        return [f"{failure.title}: {_excerpt(failure.message)}" for failure in group.exceptions]
    return []


class _Sender:
    """Sends cases as one caller over one connection, and keeps what went wrong."""

    def __init__(self, caller: Caller, base_url: str, session: requests.Session) -> None:
        self.caller = caller
        self.base_url = base_url
        self.session = session
        self.outcome = Outcome()

    def send(self, case: Case) -> None:
        self.outcome.requests += 1
        try:
            response = case.call(
                base_url=self.base_url,
                session=self.session,
                headers=self.caller.headers,
                timeout=REQUEST_TIMEOUT,
            )
        except requests.RequestException as exc:
            # No answer at all (a hang, a dropped connection) is as wrong as a 5xx.
            self._found(case, f"no answer: {type(exc).__name__}: {exc}", 0, "")
            return
        for problem in _check(case, response):
            self._found(case, problem, response.status_code, response.text)

    def _found(self, case: Case, problem: str, status: int, body: str) -> None:
        self.outcome.findings.append(
            Finding(
                caller=self.caller.name,
                operation=case.operation.label,
                problem=problem,
                # Authorization is shown as [Filtered]: reports never carry the token.
                request=case.as_curl_command(headers=self.caller.headers),
                status=status,
                body=_excerpt(body),
            )
        )

    def send_drawn(self, strategy: st.SearchStrategy[Case], max_examples: int) -> None:
        """Up to `max_examples` cases drawn from `strategy`; derandomised, so a run sends
        the same cases every time."""

        @settings(
            max_examples=max_examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def send(case: Case) -> None:
            self.send(case)

        send()


def _boundary_cases(operation: APIOperation, limit: int) -> Iterator[Case]:
    """Schemathesis' coverage cases: each parameter at its edges (empty, missing, the
    wrong type, out of range), deterministic, at most `limit` of them."""
    schema = operation.schema
    cases = schema.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation),
    )
    return itertools.islice(cases, limit)


def fuzz(
    operations: Sequence[APIOperation], caller: Caller, *, base_url: str, max_examples: int
) -> Outcome:
    """Send each operation's boundary cases and generated cases as `caller`, up to
    `max_examples` of each kind, and collect what is wrong."""
    with requests.Session() as session:
        sender = _Sender(caller, base_url, session)
        for operation in operations:
            for case in _boundary_cases(operation, max_examples):
                sender.send(case)
            for strategy, budget in _variants(operation, caller, max_examples):
                try:
                    sender.send_drawn(strategy, budget)
                except HypothesisException as exc:
                    sender.outcome.ungenerated.append(
                        f"{operation.label}: {type(exc).__name__}: {exc}"
                    )
    return sender.outcome


@contextmanager
def serve(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Run `app` (with its lifespan) under uvicorn in a thread; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fuzz-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)


# Where the schema contradicts Mastodon 4.3 itself (its documentation and its answers):
# (path, method, status) → the response schema Mastodon's answers have.
SCHEMA_ERRATA: dict[tuple[str, str, str], dict[str, Any]] = {
    # "List of [V1::Filter]" in its description, one V1Filter in its schema.
    ("/api/v1/filters", "get", "200"): {
        "type": "array",
        "items": {"$ref": "#/components/schemas/V1Filter"},
    },
    # "Returns: FilterStatus", but its example answer (and Mastodon's) is `{}`.
    ("/api/v2/filters/statuses/{id}", "delete", "200"): {"type": "object"},
}


def load_schema(document: dict[str, Any]) -> BaseSchema:
    corrected = copy.deepcopy(document)
    for (path, method, status), schema in SCHEMA_ERRATA.items():
        response = corrected["paths"][path][method]["responses"][status]
        response["content"]["application/json"]["schema"] = schema
    return schemathesis.openapi.from_dict(corrected)
