"""The objects the authorization matrix and the bad-input corpus act on, on top of the demo district.

Built through services like the app does: a report in grid1's grid by a resident with a phone,
a pending application, a volunteer's own pending service record, a code issued at merchant1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from govern.models import Grid, User
from govern.roles import MERCHANT_STAFF, RESIDENT
from hazards.dispatch.services import task_dispatch
from hazards.models import Hazard, Task
from hazards.reports.services import hazard_report
from hazards.triage.services import hazard_triage
from rewards.ledger import points_adjust
from rewards.models import Coupon, Merchant, Redemption
from rewards.redemptions import redemption_create
from tests.factories import UserFactory
from tests.hazards.images import jpeg_bytes, upload
from volunteers.models import ServiceRecord, Volunteer
from volunteers.service_records import service_record_submit
from volunteers.services import volunteer_apply


@dataclass
class World:
    users: dict[str, User | None]  # role name -> acting user (None: anonymous)
    owner: User  # the reporter and code holder the others must not see through
    hazard: Hazard  # submitted, in grid1's grid
    application: Volunteer  # a pending application (not the actors')
    own_record: ServiceRecord  # vol1's own pending record
    redemption: Redemption  # issued to `owner` at merchant1
    grid1_grid: Grid
    task: Task  # an offer to grid1 on a second, triaged hazard in grid1's grid


def build(demo: dict[str, User]) -> World:
    grid1_grid = demo["grid1"].grids.get()
    owner = UserFactory(roles=[RESIDENT], phone="13612349876", display_name="报告人")
    hazard = hazard_report(
        reporter=owner,
        category_slug="gas-safety",
        description="matrix: 液化气罐紧挨灶台",
        latitude=grid1_grid.min_latitude + 0.003,
        longitude=grid1_grid.min_longitude + 0.003,
        contact_phone="13612349876",
        photos=[upload("m.jpg", jpeg_bytes(size=(120, 90)))],
    ).hazard
    applicant = UserFactory(roles=[RESIDENT])
    application = volunteer_apply(
        actor=applicant,
        real_name="申请人",
        phone="15800001234",
        community_id=grid1_grid.community_id,
        skills=[],
        team_id=None,
        availability=[],
    )
    own_record = service_record_submit(
        actor=demo["vol1"], minutes=60, served_on=timezone.localdate() - dt.timedelta(days=1), note="巡查消防通道"
    )
    merchant1 = Merchant.objects.get(staff=demo["merchant1"])
    other_merchant = Merchant.objects.exclude(pk=merchant1.pk).first()
    other_staff = UserFactory(roles=[MERCHANT_STAFF], username="staff_other")
    other_merchant.staff.add(other_staff)
    coupon = Coupon.objects.filter(merchant=merchant1).order_by("cost").first()
    points_adjust(user_id=owner.pk, amount=coupon.cost * 3, reason="matrix funding", actor=None)
    redemption = redemption_create(user_id=owner.pk, coupon_id=coupon.pk, idempotency_key="matrix-1").redemption
    task_hazard = hazard_report(
        reporter=owner,
        category_slug="electrical-wiring",
        description="matrix: 楼道私拉电线",
        latitude=grid1_grid.min_latitude + 0.004,
        longitude=grid1_grid.min_longitude + 0.004,
        photos=[upload("t.jpg", jpeg_bytes(size=(120, 90)))],
    ).hazard
    hazard_triage(hazard_id=task_hazard.pk, actor=demo["dispatcher"], decision="accept")
    task = task_dispatch(hazard_id=task_hazard.pk, actor=demo["dispatcher"], assignee_id=demo["grid1"].pk).tasks[0]
    users = {
        "anonymous": None,
        "resident": demo["resident1"],
        "volunteer": demo["vol1"],
        "other_grid_worker": demo["grid2"],
        "dispatcher": demo["dispatcher"],
        "other_merchant_staff": other_staff,
    }
    return World(users, owner, hazard, application, own_record, redemption, grid1_grid, task)
