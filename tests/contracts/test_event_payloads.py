"""Event payload contracts: every live event type of docs/events.md §10 has a JSON Schema in
docs/events/<type>.json, and what the services really publish validates against it.

The services are driven for real: the demo world (`seed_demo` runs every app's services: reports,
photos, triage, dispatch, tasks, points, volunteers, premises, campaigns), then the few changes the
demo does not make (a notice, a position, a review, a redemption, an overdue task, a sensor alert,
premises taken back). Every persisted LiveEvent is validated, and the types seen must be exactly
the types with a schema: a new event type needs its schema (and its docs) before this passes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from jsonschema import Draft202012Validator

from govern.live import DISPATCH_TOPIC
from govern.live_services import notice_publish
from govern.models import LiveEvent, User
from hazards.dispatch.escalation import tasks_escalate
from hazards.dispatch.notify import task_seen
from hazards.models import Hazard, Task, TaskStatus
from hazards.premises.alerts.services import alert_receive
from hazards.premises.campaigns.services import campaign_unassign
from hazards.premises.models import CampaignPremises, EnterpriseKey, Sensor
from hazards.reports.feedback import feedback_submit
from rewards.clawback import points_clawback
from rewards.ledger import points_adjust
from rewards.models import Coupon, PointsAccount, PointsAward
from rewards.redemptions import redemption_create, redemptions_warn_expiring
from volunteers.duty import volunteer_duty_set
from volunteers.models import ServiceRecord, ServiceRecordStatus, Volunteer, VolunteerStatus
from volunteers.service_records import service_record_approve

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "docs" / "events"


def _schemas() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(SCHEMA_DIR.glob("*.json"))}


def _documented_types() -> set[str]:
    """The event types §10 of docs/events.md documents: table rows and headings that name a type."""
    docs = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    section = docs[docs.index("## 10. Events, by app") :]
    rows = re.findall(r"^\| `([a-z]+\.[a-z_]+)` \|", section, flags=re.M)
    headings = re.findall(r"^#{3,4} `?([a-z]+\.[a-z_]+)`?(?: \(|$)", section, flags=re.M)
    return set(rows) | set(headings)


def test_every_schema_is_a_valid_draft_2020_12_schema_named_after_its_type():
    schemas = _schemas()
    assert schemas, "no schema in docs/events/"
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
        assert schema["title"] == name
        assert schema["type"] == "object" and schema["additionalProperties"] is False, name


def test_every_documented_event_type_has_a_schema_and_every_schema_is_documented():
    documented, schemas = _documented_types(), set(_schemas())
    assert documented == schemas, {
        "documented, no schema": sorted(documented - schemas),
        "schema, not documented": sorted(schemas - documented),
    }


def _validate_all(events) -> dict[str, int]:
    validators = {name: Draft202012Validator(schema) for name, schema in _schemas().items()}
    seen: dict[str, int] = {}
    failures = []
    for event in events:
        validator = validators.get(event.type)
        if validator is None:
            failures.append(f"#{event.pk} {event.type}: no schema in docs/events/")
            continue
        seen[event.type] = seen.get(event.type, 0) + 1
        for error in validator.iter_errors(event.data):
            path = "/".join(str(p) for p in error.absolute_path) or "(data)"
            failures.append(f"#{event.pk} {event.type} {path}: {error.message}")
    assert not failures, "\n".join(failures[:40])
    return seen


@pytest.mark.django_db
def test_what_every_service_publishes_validates_against_its_schema(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    dispatcher = User.objects.get(username="dispatcher")
    later = timezone.now() + dt.timedelta(minutes=5)

    with django_capture_on_commit_callbacks(execute=True):
        # system.notice
        notice_publish(topics=[DISPATCH_TOPIC], text="Storm warning", level="warning", sender=dispatcher)

        # task.reach: an offer's card shown on its person's page
        offer = Task.objects.filter(status=TaskStatus.OFFERED).order_by("pk").first()
        assert task_seen(task_id=offer.pk, actor=offer.assignee) >= 1
        # task.expiring: escalation shortly before that offer's accept deadline
        assert tasks_escalate(now=offer.accept_deadline - dt.timedelta(seconds=30)).warned >= 1

        # volunteer.position_changed: an on-duty volunteer moved well over the minimum distance
        volunteer = Volunteer.objects.filter(status=VolunteerStatus.APPROVED, on_duty=True).order_by("pk").first()
        volunteer_duty_set(
            actor=volunteer.user,
            on_duty=True,
            latitude=volunteer.latitude + 0.002,
            longitude=volunteer.longitude + 0.002,
            now=later,
        )

        # volunteer.service_record_reviewed
        record = ServiceRecord.objects.filter(status=ServiceRecordStatus.PENDING).order_by("pk").first()
        service_record_approve(record_id=record.pk, actor=dispatcher, reason="ok")

        # redemption.updated (and points.changed, kind redeem)
        account = PointsAccount.objects.order_by("-balance", "pk").first()
        coupon = Coupon.objects.filter(stock_remaining__gt=0, cost__lte=account.balance).order_by("cost", "pk").first()
        issued = redemption_create(user_id=account.user_id, coupon_id=coupon.pk, idempotency_key="event-contracts")
        # redemption.expiring: the reminder job an hour before that code expires
        assert redemptions_warn_expiring(now=issued.redemption.expires_at - dt.timedelta(hours=1)) >= 1

        # points.clawback_shortfall: an award taken back (a reopened verification) after its points were spent
        award = PointsAward.objects.filter(points_paid__gt=0).order_by("pk").first()
        left = PointsAccount.objects.get(user_id=award.user_id).balance
        if left:
            points_adjust(user_id=award.user_id, amount=-left, reason="spent", actor=None)
        points_clawback(
            rule_code=award.rule.code, source_type=award.source_type, source_id=award.source_id, reason="reopened"
        )

        # task.overdue (and task.updated): escalation long after every due time
        assert Task.objects.filter(status__in=[TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS]).exists()
        tasks_escalate(now=timezone.now() + dt.timedelta(days=60))

        # sensor.alert: a reading over the threshold from the demo enterprise's key
        key = EnterpriseKey.objects.select_related("api_client", "premises").order_by("pk").first()
        assert key.premises.responsible_user_id is not None
        sensor = Sensor.objects.filter(premises=key.premises).order_by("pk").first()
        alert_receive(
            api_client=key.api_client,
            sensor_id=sensor.sensor_id if sensor else "T-contract",
            metric=sensor.metric if sensor else "temperature",
            value=95,
            threshold=60,
            message="over threshold",
        )

        # hazard.feedback: the reporter of a fixed report answers
        fixed = (
            Hazard.objects.filter(status__in=["rectified", "verified", "closed"], reporter__isnull=False)
            .order_by("pk")
            .first()
        )
        feedback_submit(tracking_code=fixed.tracking_code, actor=fixed.reporter, fixed=True, stars=5)

        # campaign.unassigned (and campaign.progress)
        entry = CampaignPremises.objects.filter(inspector__isnull=False).order_by("pk").first()
        campaign_unassign(
            campaign_id=entry.campaign_id, actor=dispatcher, premises_ids=[entry.premises_id], reason="reassigning"
        )

    seen = _validate_all(LiveEvent.objects.order_by("pk"))
    assert set(seen) == set(_schemas()), {
        "never published here": sorted(set(_schemas()) - set(seen)),
    }
