"""schemathesis against the served OpenAPI document: every operation, with a valid key, on a booked day.

The document is loaded from ``/api/v1/openapi.json`` of the app in-process (WSGI, no server) and
schemathesis' engine runs all its phases (examples, coverage, fuzzing, stateful sequences) with
a shop key holding both scopes and a driver token for one van of a published day. The store
has a booked day: confirmed, held, delivered, failed and cancelled bookings and a full premium
slot. Every answer must be no server error, a documented status with the documented content
type, headers and body, a refusal of schema-invalid requests, and an acceptance of
schema-valid ones except for the business rules a schema cannot express
(:data:`BUSINESS_RULES`), each of which the document lists for its operation.

Deterministic: a fixed seed, Hypothesis derandomized, no example database, no schemathesis
cache, a fixed clock, no background re-solves and seeded booking ids (two runs send the same
requests).
"""

from __future__ import annotations

import os
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

import scheduling.bookings
from scenarios.execution.tokens import issue_token
from scheduling.storage.models import Booking
from tests.scenarios.execution_world import make_world
from tests.webui.api_client import DATE, booking_body, make_api
from webui.openapi import openapi_document

# Per operation in the fuzzing phase; the module takes about half a minute. For a deeper local run:
# LASTMILE_FUZZ_SEED=7 LASTMILE_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest tests/webui/test_api_schemathesis.py
SEED = int(os.environ.get("LASTMILE_FUZZ_SEED", "14"))
MAX_EXAMPLES = int(os.environ.get("LASTMILE_FUZZ_EXAMPLES", "60"))

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)

# The statuses a schema-valid request may still get, by operation: business rules no schema can
# express (a date in the past, a point off the map, an unknown slot or booking, a full slot).
# Anything else than 2xx and these is a failure; each must be documented for its operation.
BUSINESS_RULES: dict[str, dict[int, str]] = {
    "openapi": {},
    "getSlots": {422: "date in the past or beyond the horizon, point outside the area, unknown tier"},
    "getPickupPoints": {422: "point outside the area"},
    "createBooking": {
        403: "the tier may not book a premium slot",
        404: "rebook_of names no booking of this shop",
        409: "full, past the cut-off, closed, blackout, not routable, order_ref in use, rebook_of not failed",
        422: "date in the past, point outside the area, unknown slot, tier or pickup point, invalid quote, Idempotency-Key reused",
    },
    "listBookings": {},
    "getBooking": {404: "no such booking for this shop"},
    "rescheduleBooking": {
        403: "the tier may not book a premium slot",
        404: "no such booking for this shop",
        409: "full, past the cut-off, not live, not routable",
        422: "date in the past, unknown slot, Idempotency-Key reused",
    },
    "cancelBooking": {404: "no such booking", 409: "past the cut-off, not live", 422: "Idempotency-Key reused"},
    "confirmBooking": {404: "no such booking", 409: "not held or hold expired", 422: "Idempotency-Key reused"},
    "listEvents": {},
    "postFeedback": {404: "no such booking", 409: "not delivered or failed yet, feedback given already"},
    "getRebookOffer": {404: "no such booking", 409: "the delivery did not fail"},
    "exportCustomer": {404: "no data on this customer"},
    "eraseCustomer": {404: "no data on this customer"},
    "getDriverDay": {409: "nothing published for the token's date, or the van is not in the plan"},
    "postDriverEvent": {409: "out of order, already recorded, id reused", 422: "stop not on the van's route, order not at the stop, another date"},
}


def _operations() -> dict[str, str]:
    """operationId -> schemathesis' label ("GET /api/v1/slots") of every documented operation."""
    return {op["operationId"]: f"{method.upper()} {path}"
            for path, ops in openapi_document()["paths"].items() for method, op in ops.items()}


OPERATIONS = _operations()


# --------------------------------------------------------------------------- the store


def _booked_day(api) -> None:
    """Shop A's bookings on DATE in every state, and the centre's premium slot full."""
    def book(**change) -> str:
        r = api.post("/api/v1/bookings", booking_body(**change))
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    book(customer_id="cust-1042", order_ref="ORD-2001")  # the document's example customer
    book(customer_id="c2", slot="home:08:00-10:00", hold=True)
    delivered = book(customer_id="c3", slot="home:10:00-12:00")
    failed = book(customer_id="c4", slot="home:12:00-14:00", address="Kungsgatan 12")
    cancelled = book(customer_id="c5", slot="home:14:00-16:00")
    assert api.client.delete(f"/api/v1/bookings/{cancelled}", headers=api.headers()).status_code == 200
    for k in range(2):  # BOOKING_PREMIUM_CAPACITY
        book(customer_id=f"p{k}", slot="premium:18:00-19:00", tier="platinum")
    with api.app.extensions["lastmile.db"].session() as s:
        for booking_id, status, reason in ((delivered, "delivered", None), (failed, "failed", "not_home")):
            b = s.get(Booking, booking_id)
            b.delivery_status, b.failed_reason = status, reason


@dataclass
class Run:
    failures: dict[str | None, list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    checked: Counter = field(default_factory=Counter)
    stateful_scenarios: int = 0


def _config(key: str, token: str) -> SchemathesisConfig:
    checks = {name: {"enabled": True} for name in CHECKS}
    per_operation = [
        {"include-operation-id": op,
         "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", *map(str, sorted(rules))]}}}
        for op, rules in BUSINESS_RULES.items()
    ]
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "cache": {"enabled": False},
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "checks": {"enabled": False, **checks},
        "operations": per_operation,
        "auth": {"openapi": {"ApiKey": {"api_key": key}, "DriverToken": {"bearer": token}}},
    })


def _describe(phase: str, check: str, info, recorder, case_id: str) -> str:
    interaction = recorder.interactions.get(case_id)
    answer = ""
    if interaction is not None and interaction.response is not None:
        answer = f"\n  answered {interaction.response.status_code}: {interaction.response.content[:300]!r}"
    return f"[{phase}] {check}: {info.failure}{answer}\n  reproduce: {info.code_sample}"


class _SeededUuid:
    """``uuid.uuid4`` from a seeded generator: booking ids feed schemathesis' stateful links, and
    random ones would make each run draw other sequences."""

    def __init__(self, seed: int):
        self._random = random.Random(seed)

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self._random.getrandbits(128), version=4)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scheduling.bookings, "uuid", _SeededUuid(SEED))
        return _run(tmp_path_factory)


def _run(tmp_path_factory) -> Run:
    url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'fuzz.db'}"
    api = make_api(url, API_RATE_LIMIT_PER_S=0, BOOKING_PREMIUM_CAPACITY=2)
    _booked_day(api)
    world = make_world(url, shop="Driver Shop")  # a published plan of DATE: vans V1 and V2
    token = issue_token(world.db, "gothenburg", DATE, "V1", issued_by="schemathesis", driver_name="Kim")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.app, config=_config(api.key, token))
    out = Run()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            rec = event.recorder
            if event.phase.value == "stateful":
                out.stateful_scenarios += 1
            for case_id, interaction in rec.interactions.items():
                label = rec.cases[case_id].value.operation.label
                if interaction.response is not None:
                    out.statuses[label][interaction.response.status_code] += 1
            for case_id, nodes in rec.checks.items():
                label = rec.cases[case_id].value.operation.label
                for node in nodes:
                    out.checked[label] += 1
                    if node.failure_info is not None:
                        out.failures[node.failure_info.failure.operation or label].append(
                            _describe(event.phase.value, node.name, node.failure_info, rec, case_id))
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            out.errors.append(repr(getattr(event, "value", None) or getattr(event, "exception", None)))
    return out


# --------------------------------------------------------------------------- tests


def test_every_documented_operation_has_its_business_rules_listed():
    assert set(BUSINESS_RULES) == set(OPERATIONS)


@pytest.mark.parametrize("operation_id", sorted(BUSINESS_RULES))
def test_a_business_rule_status_is_documented_with_the_error_body(operation_id):
    doc = openapi_document()
    method, path = OPERATIONS[operation_id].split(" ", 1)
    responses = doc["paths"][path][method.lower()]["responses"]
    for status in BUSINESS_RULES[operation_id]:
        assert str(status) in responses, f"{operation_id} answers {status} ({BUSINESS_RULES[operation_id][status]}) undocumented"
        assert responses[str(status)]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_run_had_no_errors(run):
    if run.errors:
        pytest.fail("\n".join(run.errors), pytrace=False)


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_schemathesis_finds_nothing(run, operation_id):
    label = OPERATIONS[operation_id]
    assert run.checked[label] > 0, f"schemathesis never checked {label}"
    assert not any(500 <= s for s in run.statuses[label]), run.statuses[label]
    if run.failures.get(label):
        pytest.fail(f"{label}: {len(run.failures[label])} failures\n\n" + "\n\n".join(run.failures[label][:5]), pytrace=False)


def test_the_key_and_the_token_opened_every_operation(run):
    for op_id, label in OPERATIONS.items():
        answered = {s for s in run.statuses[label] if s != 401}
        assert answered & set(range(200, 300)) or answered & set(BUSINESS_RULES[op_id]), (label, run.statuses[label])


def test_stateful_sequences_find_nothing(run):
    assert run.stateful_scenarios > 0
    unlabelled = {k: v for k, v in run.failures.items() if k not in OPERATIONS.values()}
    if unlabelled:
        pytest.fail("\n\n".join(f for v in unlabelled.values() for f in v[:5]), pytrace=False)


# --------------------------------------------------------------------------- what the fuzzing found, one by one


@pytest.fixture
def api(tmp_path):
    return make_api(f"sqlite:///{tmp_path / 'api.db'}")


def _delivered(api) -> str:
    r = api.post("/api/v1/bookings", booking_body())
    assert r.status_code == 201, r.get_json()
    with api.app.extensions["lastmile.db"].session() as s:
        s.get(Booking, r.get_json()["id"]).delivery_status = "delivered"
    return r.get_json()["id"]


def test_an_integral_number_is_an_integer_as_in_json_schema_and_a_fraction_is_refused_naming_the_field(api):
    b = _delivered(api)
    r = api.post(f"/api/v1/bookings/{b}/feedback", {"rating": 5.5})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "rating"
    r = api.post(f"/api/v1/bookings/{b}/feedback", {"rating": 5.0})
    assert r.status_code == 201 and r.get_json()["rating"] == 5 and isinstance(r.get_json()["rating"], int)
    booked = api.post("/api/v1/bookings", booking_body(customer_id="c2", parcels=2.0))
    assert booked.status_code == 201 and booked.get_json()["parcels"] == 2


def test_the_document_says_what_the_server_refuses():
    doc = openapi_document()
    feedback = doc["paths"]["/api/v1/bookings/{booking_id}/feedback"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert feedback["properties"]["categories"]["uniqueItems"] is True  # a category given twice is a 422
    create = doc["paths"]["/api/v1/bookings"]["post"]["responses"]
    assert "rebook_of" in create["404"]["description"]  # an unknown rebook_of is a 404
    event = doc["paths"]["/api/v1/driver/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert event["type"]["enum"] == ["departed", "arrived", "delivered", "failed", "picked_up"]
    assert event["recipient"]["anyOf"][0]["maxLength"] == 80  # the server refuses a longer one


def test_the_document_pattern_of_a_text_field_is_the_servers_control_character_rule():
    import jsonschema_rs
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from pydantic import TypeAdapter, ValidationError

    from webui.api.schemas import LINES_PATTERN, ONE_LINE_PATTERN, text_field

    checks = []
    for newlines, pattern in ((False, ONE_LINE_PATTERN), (True, LINES_PATTERN)):
        server = TypeAdapter(text_field(10_000, newlines=newlines))
        document = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})  # ECMA-262 reading, as schemathesis'
        checks.append((server, document))

    def accepted(adapter, text) -> bool:
        try:
            adapter.validate_python(text)
            return True
        except ValidationError:
            return False

    tricky = st.sampled_from(["\n", "\r", "\r\n", "\t", "\x00", "\x1f", "\x7f", "\x85", "\x9f", "\xa0", "\u2028", "\u2029", "a", "ö"])

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(st.lists(tricky | st.characters(), max_size=8).map("".join))
    def agree(text):
        for server, document in checks:
            assert accepted(server, text) == document.is_valid(text), repr(text)

    agree()
