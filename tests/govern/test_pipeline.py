"""govern.pipeline: statements sent together still run in order, in the caller's transaction,
with their row counts (PostgreSQL pipeline mode; plain statements on SQLite)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from govern.live import publish_many
from govern.models import LiveEvent
from govern.pipeline import pipelined, update_later
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_update_later_counts_the_rows_after_the_block():
    users = UserFactory.create_batch(3)
    with transaction.atomic(), pipelined():
        some = update_later(type(users[0]).objects.filter(pk__in=[u.pk for u in users[:2]]), first_name="X")
        none = update_later(type(users[0]).objects.filter(pk=-1), first_name="Y")
        empty = update_later(type(users[0]).objects.filter(pk__in=[]), first_name="Z")
        events = publish_many([(["dispatch"], "test.pipelined", {"n": 1})])
    assert (some(), none(), empty()) == (2, 0, 0)
    assert sorted(type(users[0]).objects.values_list("first_name", flat=True)) == sorted(["X", "X", users[2].first_name])
    assert LiveEvent.objects.get(pk=events[0].pk).type == "test.pipelined"


def test_a_failing_statement_in_the_block_fails_the_transaction_and_keeps_nothing():
    user = UserFactory(first_name="before")
    before = LiveEvent.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic(), pipelined():
        update_later(type(user).objects.filter(pk=user.pk), first_name="after")
        publish_many([(["dispatch"], "test.pipelined", {"n": 2})])
        update_later(type(user).objects.filter(pk=user.pk), username=None)  # NOT NULL: fails
    assert LiveEvent.objects.count() == before
    user.refresh_from_db()
    assert user.first_name == "before"
