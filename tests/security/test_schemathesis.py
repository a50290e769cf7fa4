"""Schemathesis over whatever /api/v1/schema/ lists, as every role: anonymous, resident, volunteer,
grid worker, merchant staff and dispatcher (and the sensor endpoint with an enterprise key).

Every generated request must get an answer the schema documents: no 5xx, a documented status code
and content type, a body that validates against the documented schema. New endpoints join on their
own (the operations come from the live schema). Bounded and derandomized so CI is reproducible:
every role sends 50 examples of every operation in the services pass (30 per operation shared
by the roles in the embedded pass; see _budget), split between valid
requests, valid requests naming the demo district's real objects (so object views get
exercised too) and invalid ones. GOVERN_FUZZ_EXAMPLES=N runs N per operation and role instead.
"""

from __future__ import annotations

import math
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.summary import record

pytestmark = pytest.mark.django_db


def _budget() -> tuple[int, bool]:
    """(examples per operation for the role, whether a role refused at the door stops early).

    In the services pass (the run that counts) every role sends 50 examples of every operation,
    cut short once the operation has answered the role's first requests with 401/403 only: the
    authorization matrix checks who is refused, this that the refusal is documented. The embedded
    pass, which shares the code but not the database, shares 30 per operation between the roles.
    GOVERN_FUZZ_EXAMPLES=N gives every role N examples of every operation.
    """
    from django.conf import settings as django_settings

    if os.environ.get("GOVERN_FUZZ_EXAMPLES"):
        return int(os.environ["GOVERN_FUZZ_EXAMPLES"]), True
    if django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return 50, True
    return math.ceil(30 / len(ROLES)), False


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations left out, each with the reason. (None at present.)
SKIPPED: dict[str, str] = {}

# Every role of the demo district, by the account that plays it.
ROLES = {
    "anonymous": None,
    "resident": "resident1",
    "volunteer": "vol1",
    "grid worker": "grid1",
    "merchant staff": "merchant1",
    "dispatcher": "dispatcher",
}

# With GOVERN_FUZZ_EXAMPLES (N per operation and role): an operation that has answered this many
# generated requests of a role with 401/403 and nothing else refuses the role at the door,
# whatever the input, and the rest of the role's N would only repeat the refusal (the
# authorization matrix checks who is refused; this checks the refusal is documented).
REFUSAL_PROBE = 5


class _RefusedAtTheDoor(Exception):
    pass


def real_ids() -> dict[str, list]:
    """Path parameter values that name real objects, keyed by the path template's resource."""
    from hazards.models import Hazard
    from hazards.premises.models import Premises
    from rewards.models import Coupon, Redemption
    from volunteers.models import ServiceRecord, Team, Volunteer

    return {
        "/api/v1/hazards/{id}": list(Hazard.objects.values_list("pk", flat=True)[:1]),
        "/api/v1/track/{tracking_code}": list(Hazard.objects.values_list("tracking_code", flat=True)[:1]),
        "/api/v1/volunteers/{id}": list(Volunteer.objects.values_list("pk", flat=True)[:1]),
        "/api/v1/volunteers/teams/{id}": list(Team.objects.values_list("pk", flat=True)[:1]),
        "/api/v1/volunteers/service-records/{id}": list(ServiceRecord.objects.values_list("pk", flat=True)[:1]),
        "/api/v1/coupons/{id}": list(Coupon.objects.values_list("pk", flat=True)[:1]),
        "/api/v1/redemptions/{id}": list(Redemption.objects.values_list("pk", flat=True)[:1]),
        "/api/v1/premises/{id}": list(Premises.objects.values_list("pk", flat=True)[:1]),
    }


def known_values(path: str, ids: dict[str, list]) -> list[dict]:
    for template, values in ids.items():
        if path.startswith(template):
            name = template.rsplit("{", 1)[1].rstrip("}")
            return [{name: value} for value in values]
    return []


def _split(budget: int, with_ids: bool) -> list[tuple[str, int]]:
    """The budget of one operation shared between free valid, known-id valid and invalid requests."""
    negative = budget * 3 // 10
    known = budget * 2 // 10 if with_ids else 0
    return [("positive", budget - negative - known), ("known", known), ("negative", negative)]


# operation label -> generated requests sent, over every role (printed at the end of the run)
PER_OPERATION: dict[str, int] = {}


def fuzz(
    schema,
    headers: dict,
    ids: dict[str, list],
    *,
    budget: int,
    stop_refused: bool = False,
    only_path: str | None = None,
) -> tuple[int, int, dict[str, str]]:
    tried = passed = 0
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED or (only_path is not None and operation.path != only_path):
            continue
        known = known_values(operation.path, ids)
        answers: list[int] = []  # status codes this role got from this operation
        for kind, examples in _split(budget, bool(known)):
            if examples <= 0:
                continue
            if kind == "known":
                per_value = max(1, examples // len(known))
                strategies = [
                    (GenerationMode.POSITIVE, operation.as_strategy(path_parameters=values), per_value)
                    for values in known
                ]
            else:
                mode = GenerationMode.POSITIVE if kind == "positive" else GenerationMode.NEGATIVE
                strategies = [(mode, operation.as_strategy(mode), examples)]
            for mode, strategy, count in strategies:

                @settings(
                    max_examples=count,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.generate],  # no shrinking: a failure is reported as found
                    report_multiple_bugs=False,  # and generation stops there (a refusal too)
                )
                @given(case=strategy)
                def run(case):
                    nonlocal tried, passed
                    # answers is this operation's own list: run() is called within this iteration.
                    refused = stop_refused and len(answers) >= REFUSAL_PROBE and set(answers) <= {401, 403}  # noqa: B023
                    if refused:
                        raise _RefusedAtTheDoor
                    tried += 1
                    PER_OPERATION[operation.label] = PER_OPERATION.get(operation.label, 0) + 1  # noqa: B023
                    response = case.call(headers=headers)
                    answers.append(response.status_code)  # noqa: B023
                    try:
                        case.validate_response(response, checks=CHECKS)
                    except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
                        failures.setdefault(case.operation.label, f"{exc}"[:1500])
                        return
                    passed += 1

                try:
                    run()
                except _RefusedAtTheDoor:
                    pass
                except Unsatisfiable:
                    # An operation with no parameters (or only free-form strings) has no invalid
                    # request to generate; a positive one that cannot be generated is a schema bug.
                    if mode is not GenerationMode.NEGATIVE:
                        failures.setdefault(operation.label, "no valid request can be generated from the schema")
                except BaseException as exc:  # generation itself failed: that is a finding too
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    failures.setdefault(operation.label, f"could not generate: {exc!r}"[:1500])
    return tried, passed, failures


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly sends request_started/finished, whose close_old_connections
    would close the test transaction's connection (PostgreSQL); Django's test Client unhooks it too."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# One test per role, so that the suite's test processes share them.
@pytest.mark.timeout(900)
@pytest.mark.usefixtures("keep_test_connection")
@pytest.mark.parametrize("role", list(ROLES))
def test_schema_holds_for_every_generated_request_of_every_role(demo, role):
    from govern.wsgi import application
    from rewards.ledger import points_adjust
    from rewards.models import Coupon
    from rewards.redemptions import redemption_create

    # One issued code so that the redemption views have something real to answer about.
    resident = demo["resident1"]
    points_adjust(user_id=resident.pk, amount=5000, reason="fuzz funding", actor=None)
    redemption_create(
        user_id=resident.pk, coupon_id=Coupon.objects.order_by("cost").first().pk, idempotency_key="fuzz-1"
    )

    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    budget, stop_refused = _budget()
    username = ROLES[role]
    started = time.monotonic()
    PER_OPERATION.clear()
    token = Token.objects.get_or_create(user=demo[username])[0].key if username else None
    headers = {"Authorization": f"Token {token}"} if token else {}
    tried, passed, failures = fuzz(schema, headers, real_ids(), budget=budget, stop_refused=stop_refused)
    record(f"1 schemathesis ({role})", tried=tried, passed=passed)
    counts = sorted(PER_OPERATION.values())
    print(
        f"schemathesis as {role}: {tried} cases in {time.monotonic() - started:.0f} s over {len(counts)} operations"
        f" (per operation min {counts[0]}, median {counts[len(counts) // 2]}), {len(failures)} failing operations"
    )
    assert tried > 100, role
    # Operations with few parameters have fewer distinct requests than the budget (Hypothesis
    # does not repeat itself), and a role refused at the door stops early: listed, not failed.
    few = {label: n for label, n in PER_OPERATION.items() if n < budget}
    print("schemathesis: fewer requests than the budget: " + ", ".join(f"{k} ({v})" for k, v in sorted(few.items())))
    assert not failures, "\n\n".join(f"=== {role}: {label}\n{text}" for label, text in failures.items())


@pytest.mark.usefixtures("keep_test_connection")
def test_schema_holds_for_sensor_alerts_sent_with_an_enterprise_key(demo):
    """The key-authenticated endpoint, fuzzed with the demo enterprise's key (the runs above only
    see its 401): every generated body gets a documented 200/201/4xx, never a 5xx."""
    from govern.wsgi import application
    from hazards.premises.alerts.demo import DEMO_SENSOR_KEY

    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    budget = 50  # one operation, one key: its whole budget
    tried, passed, failures = fuzz(
        schema, {"X-Api-Key": DEMO_SENSOR_KEY}, {}, budget=budget, only_path="/api/v1/alerts/"
    )
    record("1 schemathesis (enterprise sensor key)", tried=tried, passed=passed)
    assert tried >= 25
    assert not failures, "\n\n".join(f"=== {label}\n{text}" for label, text in failures.items())
