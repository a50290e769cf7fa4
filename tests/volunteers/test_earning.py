"""Approved service minutes earn points per 30 minutes, once per record however often the award is retried."""

from __future__ import annotations

import pytest

from rewards.models import EarningRule, PointsAward, PointsEntry
from rewards.tasks import award_points
from tests.rewards.conftest import assert_ledger_consistent, balance_of
from tests.volunteers.conftest import days
from volunteers import service_records

pytestmark = pytest.mark.django_db


def test_a_90_minute_approved_record_pays_three_units_once_across_retries(
    make_volunteer, team, django_capture_on_commit_callbacks
):
    leader = make_volunteer(team=team, leader=True)
    member = make_volunteer(team=team)
    record = service_records.service_record_submit(actor=member.user, minutes=90, served_on=days(-1), note="敬老院")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        service_records.service_record_approve(record_id=record.pk, actor=leader.user)
    assert callbacks  # the award went through the outbox, after the commit
    rule = EarningRule.objects.get(code="service_minutes")
    assert rule.per_minutes == 30
    assert balance_of(member.user) == 3 * rule.points
    # the queue delivers again (a retry after a lost acknowledgement): nothing more is paid
    kwargs = {
        "user_id": member.user.pk,
        "rule_code": "service_minutes",
        "source_type": "volunteers.service_record",
        "source_id": str(record.pk),
        "actor_id": leader.user.pk,
        "minutes": 90,
    }
    for _ in range(3):
        award_points.apply(kwargs=kwargs, throw=True)
    assert PointsAward.objects.filter(user=member.user).count() == 1
    assert PointsEntry.objects.filter(account__user=member.user).count() == 1
    assert balance_of(member.user) == 3 * rule.points
    assert_ledger_consistent()


def test_a_rejected_record_and_less_than_a_unit_pay_nothing(make_volunteer, team, django_capture_on_commit_callbacks):
    leader = make_volunteer(team=team, leader=True)
    member = make_volunteer(team=team)
    short = service_records.service_record_submit(actor=member.user, minutes=29, served_on=days(0), note="短")
    rejected = service_records.service_record_submit(actor=member.user, minutes=120, served_on=days(0), note="假")
    with django_capture_on_commit_callbacks(execute=True):
        service_records.service_record_approve(record_id=short.pk, actor=leader.user)
        service_records.service_record_reject(record_id=rejected.pk, actor=leader.user, reason="没有记录")
    award = PointsAward.objects.get(user=member.user)
    assert award.source_id == str(short.pk) and award.points_due == 0 and award.entry is None
    assert balance_of(member.user) == 0
    assert_ledger_consistent()


def test_the_rule_row_is_what_pays(make_volunteer, team, django_capture_on_commit_callbacks):
    EarningRule.objects.filter(code="service_minutes").update(points=4, per_minutes=60)
    leader = make_volunteer(team=team, leader=True)
    member = make_volunteer(team=team)
    record = service_records.service_record_submit(actor=member.user, minutes=150, served_on=days(0), note="巡逻")
    with django_capture_on_commit_callbacks(execute=True):
        service_records.service_record_approve(record_id=record.pk, actor=leader.user)
    assert balance_of(member.user) == 8  # two whole hours × 4
    assert_ledger_consistent()
