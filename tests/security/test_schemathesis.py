"""Schemathesis over whatever /api/v1/schema/ lists, as an anonymous client, a resident and a dispatcher.

Every generated request must get an answer the schema documents: no 5xx, a documented status code
and content type, a body that validates against the documented schema. New endpoints join on their
own (the operations come from the live schema). Bounded and derandomized so CI is reproducible
and fast: GOVERN_FUZZ_EXAMPLES (default 5) examples per operation and mode; path ids are drawn
both freely and from the demo district's real objects, so object views get exercised too.
"""

from __future__ import annotations

import os

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

EXAMPLES = int(os.environ.get("GOVERN_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations left out, each with the reason. (None at present.)
SKIPPED: dict[str, str] = {}


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


def fuzz(schema, headers: dict, ids: dict[str, list], only_path: str | None = None) -> tuple[int, int, dict[str, str]]:
    tried = passed = 0
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED or (only_path is not None and operation.path != only_path):
            continue
        strategies = [(GenerationMode.POSITIVE, operation.as_strategy(GenerationMode.POSITIVE))]
        strategies.append((GenerationMode.NEGATIVE, operation.as_strategy(GenerationMode.NEGATIVE)))
        strategies += [
            (GenerationMode.POSITIVE, operation.as_strategy(path_parameters=values))
            for values in known_values(operation.path, ids)
        ]
        for mode, strategy in strategies:

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            @given(case=strategy)
            def run(case):
                nonlocal tried, passed
                tried += 1
                response = case.call(headers=headers)
                try:
                    case.validate_response(response, checks=CHECKS)
                except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
                    failures.setdefault(case.operation.label, f"{exc}"[:1500])
                    return
                passed += 1

            try:
                run()
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


@pytest.mark.usefixtures("keep_test_connection")
@pytest.mark.parametrize("role", ["anonymous", "resident1", "dispatcher"])
def test_schema_holds_for_every_generated_request(role, demo):
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
    headers = (
        {} if role == "anonymous" else {"Authorization": f"Token {Token.objects.get_or_create(user=demo[role])[0].key}"}
    )
    tried, passed, failures = fuzz(schema, headers, real_ids())
    record(f"1 schemathesis ({role})", tried=tried, passed=passed)
    print(f"schemathesis as {role}: {tried} cases, {passed} passed, {len(failures)} failing operations")
    assert tried > 100
    assert not failures, "\n\n".join(f"=== {label}\n{text}" for label, text in failures.items())


@pytest.mark.usefixtures("keep_test_connection")
def test_schema_holds_for_sensor_alerts_sent_with_an_enterprise_key(demo):
    """The key-authenticated endpoint, fuzzed with the demo enterprise's key (the runs above only
    see its 401): every generated body gets a documented 200/201/4xx, never a 5xx."""
    from govern.wsgi import application
    from hazards.premises.alerts.demo import DEMO_SENSOR_KEY

    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    tried, passed, failures = fuzz(schema, {"X-Api-Key": DEMO_SENSOR_KEY}, {}, only_path="/api/v1/alerts/")
    record("1 schemathesis (enterprise sensor key)", tried=tried, passed=passed)
    assert tried >= EXAMPLES
    assert not failures, "\n\n".join(f"=== {label}\n{text}" for label, text in failures.items())
