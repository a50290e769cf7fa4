"""Object-level authorization: each refusal beside its allowed counterpart, so the test shows the
refusal is about the object (another grid's hazard, another merchant's code, one's own minutes),
not the role. The role × endpoint table is tests/security/test_authorization_matrix.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import client_for
from tests.security.test_authorization_matrix import D, M, R, _premises_in, call

pytestmark = pytest.mark.django_db


def test_a_resident_cannot_read_another_residents_report_or_phone(world):
    hazard, resident = world.hazard, world.users[R]
    assert client_for(resident).get(f"/api/v1/hazards/{hazard.pk}/").status_code == 404
    listed = client_for(resident).get("/api/v1/hazards/", {"page_size": 200}).json()["results"]
    assert hazard.pk not in {h["id"] for h in listed}
    public = APIClient().get(f"/api/v1/track/{hazard.tracking_code}/")
    assert public.status_code == 200 and world.owner.phone.encode() not in public.content
    assert "reporter" not in public.json() and "contact_phone" not in public.json()
    mine = client_for(world.owner).get(f"/api/v1/hazards/{hazard.pk}/").json()
    assert mine["contact_phone"] == world.owner.phone
    seen = client_for(world.users[D]).get(f"/api/v1/hazards/{hazard.pk}/").json()
    assert seen["contact_phone"] == world.owner.phone


def test_a_grid_worker_cannot_act_on_another_grids_hazard(world, demo):
    from hazards.models import Hazard, Status

    url = f"/api/v1/hazards/{world.hazard.pk}/triage/"
    refused = client_for(demo["grid2"]).post(url, {"decision": "accept"}, format="json")
    assert refused.status_code == 404
    assert Hazard.objects.get(pk=world.hazard.pk).status == Status.SUBMITTED
    accepted = client_for(demo["grid1"]).post(url, {"decision": "accept"}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert Hazard.objects.get(pk=world.hazard.pk).status == Status.TRIAGED


def test_merchant_staff_cannot_use_another_merchants_code(world, demo):
    from rewards.models import Redemption, RedemptionStatus

    body = {"code": world.redemption.code}
    refused = client_for(world.users[M]).post("/api/v1/redemptions/use/", body, format="json")
    assert refused.status_code == 404
    assert Redemption.objects.get(pk=world.redemption.pk).status == RedemptionStatus.ISSUED
    used = client_for(demo["merchant1"]).post("/api/v1/redemptions/use/", body, format="json")
    assert used.status_code == 200, used.content
    assert Redemption.objects.get(pk=world.redemption.pk).status == RedemptionStatus.USED


def test_a_volunteer_cannot_approve_their_own_service_minutes(world, demo):
    from volunteers.models import ServiceRecord, ServiceRecordStatus

    record_id = world.own_record.pk
    url = f"/api/v1/volunteers/service-records/{record_id}/approve/"
    # vol1 leads a team and may review others' records: the refusal is about the record being theirs.
    assert client_for(demo["vol1"]).get("/api/v1/volunteers/service-records/").status_code == 200
    refused = client_for(demo["vol1"]).post(url, {}, format="json")
    assert refused.status_code == 403
    assert ServiceRecord.objects.get(pk=record_id).status == ServiceRecordStatus.PENDING
    approved = client_for(demo["dispatcher"]).post(url, {}, format="json")
    assert approved.status_code == 200, approved.content
    assert ServiceRecord.objects.get(pk=record_id).status == ServiceRecordStatus.APPROVED


def test_premises_are_seen_by_their_grid_and_responsible_person_only(world, demo):
    from hazards.premises.models import Premises

    restaurant = Premises.objects.get(pk=_premises_in(world.grid1_grid))
    plant = Premises.objects.get(responsible_user=demo["safety1"])
    url = f"/api/v1/premises/{restaurant.pk}/"
    assert client_for(demo["grid2"]).get(url).status_code == 404
    assert client_for(demo["safety1"]).get(url).status_code == 404
    seen = client_for(demo["grid1"]).get(url)
    assert seen.status_code == 200 and restaurant.responsible_phone.encode() not in seen.content
    assert (
        seen.json()["responsible_phone"] == f"{restaurant.responsible_phone[:3]}****{restaurant.responsible_phone[-4:]}"
    )
    own = client_for(demo["safety1"]).get(f"/api/v1/premises/{plant.pk}/").json()
    assert own["responsible_phone"] == plant.responsible_phone
    listed = client_for(demo["safety1"]).get("/api/v1/premises/").json()
    assert [p["id"] for p in listed["results"]] == [plant.pk]


def test_sensor_alerts_need_an_enterprise_key(world, demo):
    """The key-holder column of "POST alerts/": the demo enterprise's key files the alert; the
    Open311 demo key is a key but not an enterprise's (403); a bad key 401; a user's token with
    no key 401 even for the enterprise's own safety officer."""
    from govern.demo import DEMO_OPEN311_KEY
    from hazards.premises.alerts.demo import DEMO_SENSOR_KEY
    from hazards.premises.models import Premises

    body = {"sensor_id": "BRG-07", "metric": "temperature", "value": 92.5, "threshold": 80}
    enterprise = Premises.objects.get(sensor_keys__api_client__key_prefix=DEMO_SENSOR_KEY[:8])
    cells = {
        "enterprise key": (APIClient(HTTP_X_API_KEY=DEMO_SENSOR_KEY), 201),
        "enterprise key (Authorization)": (APIClient(HTTP_AUTHORIZATION=f"Api-Key {DEMO_SENSOR_KEY}"), 201),
        "open311 key": (APIClient(HTTP_X_API_KEY=DEMO_OPEN311_KEY), 403),
        "bad key": (APIClient(HTTP_X_API_KEY="guess"), 401),
        "safety officer's login": (client_for(enterprise.responsible_user), 401),
    }
    got = {name: call(client, "POST", "/api/v1/alerts/", body)[0] for name, (client, _want) in cells.items()}
    assert got == {name: want for name, (_client, want) in cells.items()}


# --- issue 21: grid workers stay inside their grid and do not settle what they downgraded ---------


def test_a_grid_worker_cannot_merge_into_another_grids_hazard(world, demo):
    """404 naming duplicate_of (as for an unknown original), nothing merged, the target's code not
    in the answer; the same merge into a hazard of their own grid works."""
    from hazards.models import Hazard, Status

    elsewhere = Hazard.objects.exclude(grid=world.grid1_grid).exclude(status=Status.REJECTED).first()
    url = f"/api/v1/hazards/{world.hazard.pk}/triage/"
    for target in (elsewhere.pk, elsewhere.tracking_code):
        refused = client_for(demo["grid1"]).post(url, {"decision": "duplicate", "duplicate_of": target}, format="json")
        assert refused.status_code == 404, refused.content
        assert "duplicate_of" in refused.json()["errors"]
        assert elsewhere.tracking_code.encode() not in refused.content
    assert Hazard.objects.get(pk=world.hazard.pk).status == Status.SUBMITTED
    merged = client_for(demo["grid1"]).post(
        url, {"decision": "duplicate", "duplicate_of": world.task.hazard_id}, format="json"
    )
    assert merged.status_code == 200, merged.content
    assert Hazard.objects.get(pk=world.hazard.pk).duplicate_of_id == world.task.hazard_id


def _done_task(hazard, assignee, dispatcher, *, after: bytes | None = None):
    """A done task of `hazard` by `assignee`; its after-photo a picture of its own unless `after`
    (the same picture on two tasks is a reused proof: hazards.dispatch.proof)."""
    from hazards.dispatch import services
    from tests.hazards.images import jpeg_bytes, upload

    task = services.task_dispatch(hazard_id=hazard.pk, actor=dispatcher, assignee_id=assignee.pk).tasks[0]
    services.task_accept(task_id=task.pk, actor=assignee)
    services.task_start(task_id=task.pk, actor=assignee)
    after = after if after is not None else jpeg_bytes(seed=7000 + task.pk)
    services.task_complete(task_id=task.pk, actor=assignee, note="已处理", photos=[upload("d.jpg", after)])
    return task


def test_a_grid_worker_cannot_verify_a_fix_they_downgraded(world, demo):
    """The gas report (critical by the system) lowered to low by grid1 at triage: grid1's verify is
    403 and the hazard stays done; the dispatcher verifies. When the dispatcher is the one who
    judges a report low, the grid's worker verifies it."""
    from hazards.models import Hazard, Status
    from hazards.triage.services import hazard_triage

    url = f"/api/v1/hazards/{world.hazard.pk}/triage/"
    lowered = client_for(demo["grid1"]).post(url, {"decision": "accept", "severity": "low"}, format="json")
    assert lowered.status_code == 200 and lowered.json()["severity"] == "low", lowered.content
    task = _done_task(world.hazard, demo["vol5"], demo["dispatcher"])
    verify = f"/api/v1/tasks/{task.pk}/verify/"
    refused = client_for(demo["grid1"]).post(verify, {"approved": True}, format="json")
    assert refused.status_code == 403, refused.content
    assert Hazard.objects.get(pk=world.hazard.pk).status != Status.VERIFIED
    assert client_for(demo["dispatcher"]).post(verify, {"approved": True}, format="json").status_code == 200

    from hazards.reports.services import hazard_report
    from tests.hazards.images import jpeg_bytes, upload

    grid = world.grid1_grid
    judged = hazard_report(
        reporter=world.owner,
        category_slug="gas-safety",
        description="matrix: 燃气表旁有异味，已消散",
        latitude=grid.min_latitude + 0.002,
        longitude=grid.min_longitude + 0.002,
        photos=[upload("j.jpg", jpeg_bytes(size=(120, 90)))],
    ).hazard
    hazard_triage(hazard_id=judged.pk, actor=demo["dispatcher"], decision="accept", severity="low")
    other = _done_task(judged, demo["vol4"], demo["dispatcher"])
    allowed = client_for(demo["grid1"]).post(f"/api/v1/tasks/{other.pk}/verify/", {"approved": True}, format="json")
    assert allowed.status_code == 200, allowed.content


def test_a_grid_worker_cannot_verify_a_flagged_fix(world, demo):
    """A low-severity fix in grid1's grid whose after-photo is the report's own picture (a proof
    check failed): grid1's verify is 403 with the sentence and changes nothing; the dispatcher's
    is 200. The same fix with a picture of its own is grid1's to verify (the test above)."""
    from hazards.models import Hazard, Status, Task
    from hazards.reports.services import hazard_report
    from hazards.triage.services import hazard_triage
    from tests.hazards.images import jpeg_bytes, upload

    grid = world.grid1_grid
    picture = jpeg_bytes(size=(200, 150), seed=8101)
    hazard = hazard_report(
        reporter=world.owner,
        category_slug="fire-passage",
        description="matrix: 楼道堆放杂物",
        latitude=grid.min_latitude + 0.003,
        longitude=grid.min_longitude + 0.003,
        photos=[upload("r.jpg", picture)],
    ).hazard
    hazard_triage(hazard_id=hazard.pk, actor=demo["dispatcher"], decision="accept", severity="low")
    task = _done_task(hazard, demo["vol4"], demo["dispatcher"], after=picture)
    assert Task.objects.get(pk=task.pk).proof_flagged
    verify = f"/api/v1/tasks/{task.pk}/verify/"
    refused = client_for(demo["grid1"]).post(verify, {"approved": True}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403, refused.content
    assert "only a dispatcher may verify it" in refused.json()["detail"]
    assert Hazard.objects.get(pk=hazard.pk).status == Status.RECTIFIED
    assert client_for(demo["dispatcher"]).post(verify, {"approved": True}, format="json").status_code == 200
