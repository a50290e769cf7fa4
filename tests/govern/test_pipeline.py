"""govern.pipeline: statements sent together still run in order, in the caller's transaction,
with their row counts (PostgreSQL pipeline mode; plain statements on SQLite)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from govern.live import publish_many
from govern.models import LiveEvent
from govern.pipeline import atomic_pipelined, insert_later, pipelined, update_later
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
    assert sorted(type(users[0]).objects.values_list("first_name", flat=True)) == sorted(
        ["X", "X", users[2].first_name]
    )
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


def test_a_failure_inside_atomic_pipelined_rolls_back_to_its_savepoint_and_the_outer_transaction_goes_on():
    user = UserFactory(first_name="before")
    model = type(user)
    with transaction.atomic():
        with pytest.raises(IntegrityError), atomic_pipelined():
            update_later(model.objects.filter(pk=user.pk), first_name="after")
            model.objects.create(username=user.username)  # unique: fails when its id is read
        # The savepoint's rollback went through (an aborted pipeline would refuse it), and the
        # outer transaction still works.
        assert model.objects.get(pk=user.pk).first_name == "before"
        model.objects.filter(pk=user.pk).update(first_name="later")
    user.refresh_from_db()
    assert user.first_name == "later"


def test_atomic_pipelined_commits_with_its_statements_and_fills_event_ids_by_its_end():
    user = UserFactory(first_name="before")
    with atomic_pipelined():
        count = update_later(type(user).objects.filter(pk=user.pk), first_name="after")
        insert_later([LiveEvent(type="test.later", data={}, topics=["dispatch"])])
        (event,) = publish_many([(["dispatch"], "test.pipelined", {"n": 3})])
    assert count() == 1 and event.pk is not None
    assert LiveEvent.objects.filter(type="test.later").count() == 1
    assert LiveEvent.objects.get(pk=event.pk).data == {"n": 3}
