"""Shared fixtures: role users, API clients, the mode switch, and the browser harness."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from govern.roles import DISPATCHER, GRID_WORKER, MERCHANT_STAFF, RESIDENT, VOLUNTEER
from tests.factories import UserFactory, make_grid
from tests.reference import ensure_reference_data
from tests.security import summary

SERVICES_MODE = bool(os.environ.get("DATABASE_URL")) and bool(os.environ.get("REDIS_URL"))
SERVICES_GROUP = "services-stack"

pytest_plugins = [
    "tests.browser.harness",
    "tests.premises.campaign_helpers",
    "tests.deploy.seaweed",
    "tests.notify_support",
]


def pytest_configure(config):
    # In the controlling process (or a run without xdist): one tally file for every test process.
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        fd, path = tempfile.mkstemp(prefix="govern-security-tally-", suffix=".jsonl")
        os.close(fd)
        os.environ[summary.ENV] = path


def pytest_unconfigure(config):
    path = os.environ.get(summary.ENV, "")
    if path and not os.environ.get("PYTEST_XDIST_WORKER") and os.path.exists(path):
        os.remove(path)


def pytest_terminal_summary(terminalreporter):
    # The security suite's cases tried and passed, added up over every test process.
    rows = summary.lines()
    if rows:
        terminalreporter.section("security suite: cases tried and passed")
        for row in rows:
            terminalreporter.write_line(row)


def services_files() -> frozenset[str]:
    """The test files that hold tests marked `services` (by their source: the scheduler runs in the
    controlling process, which collects nothing; the collection hook below checks it is right)."""
    root = Path(__file__).resolve().parent.parent
    return frozenset(
        str(path.relative_to(root))
        for path in (root / "tests").rglob("test_*.py")
        if "mark.services" in path.read_text(encoding="utf-8")
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """The services tests start whole stacks on fixed Redis database numbers and PostgreSQL
    database names (tests/deploy/stack.py): one test process runs all their files, one test after
    another; every other test is a unit of its own. (xdist's loadgroup does this with a mark, but
    it renames node ids, which pytest 9 no longer allows.)"""
    from xdist.scheduler import LoadScopeScheduling

    together = services_files()

    class ServicesInOneProcess(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return SERVICES_GROUP if nodeid.split("::", 1)[0] in together else nodeid

    return ServicesInOneProcess(config, log)


def pytest_collection_modifyitems(config, items):
    if SERVICES_MODE:
        together = services_files()
        strays = [i.nodeid for i in items if "services" in i.keywords and i.nodeid.split("::", 1)[0] not in together]
        if strays:
            raise pytest.UsageError(f"marked services outside the files services_files() finds: {strays}")
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL and Redis: runs in CI's services pass (make test-services)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language (Chinese). A request through the test client runs
    LocaleMiddleware in this thread, which leaves its language active (e.g. English after ?lang=en):
    the next test in the same process would read English where it expects Chinese."""
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def _transactional(request) -> bool:
    """Whether the test runs on committed, flushed-afterwards tables (not inside a rolled-back transaction)."""
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames


@pytest.fixture(autouse=True)
def _restore_reference_data(request):
    """A transactional test starts from flushed tables: put the migration-seeded rows back."""
    if _transactional(request):
        request.getfixturevalue("transactional_db")
        ensure_reference_data()
        request.node.stash[_FLUSHED_BY] = request.getfixturevalue("django_db_blocker")


_FLUSHED_BY = pytest.StashKey()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends by flushing every table: put the migration-seeded rows back at
    once, so that the tests after it (in whatever order the test processes get them) find the
    database as migrations left it."""
    yield
    blocker = item.stash.get(_FLUSHED_BY, None)
    if blocker is not None and nextitem is not None:  # after the last test the database is gone
        with blocker.unblock():
            ensure_reference_data()


_DB_FIXTURES = {"db", "transactional_db", "django_db_setup_unblocked"}


@pytest.fixture(autouse=True)
def _ledger_invariants_hold(request):
    """After every test that used the database: each points account's balance is the sum of its
    entries and its last entry's balance_after, never below 0 (the ledger is append-only by a
    trigger: rewards migration 0002). Whatever the test did, through whichever service."""
    transactional = _transactional(request)
    if request.node.get_closest_marker("django_db") is None and not _DB_FIXTURES & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from django.db.models import OuterRef, Subquery, Sum

    from rewards.models import PointsAccount, PointsEntry

    entries = PointsEntry.objects.filter(account=OuterRef("pk")).order_by()
    wrong = list(
        PointsAccount.objects.annotate(
            total=Subquery(entries.values("account").annotate(s=Sum("amount")).values("s")[:1]),
            last=Subquery(entries.order_by("-id").values("balance_after")[:1]),
        )
        .exclude(balance=0, total__isnull=True)
        .values_list("pk", "balance", "total", "last")
    )
    broken = [row for row in wrong if not (row[1] == row[2] == row[3] and row[1] >= 0)]
    assert not broken, f"ledger out of step (account, balance, sum of entries, last balance_after): {broken}"


@pytest.fixture(autouse=True)
def quarantine_root(settings, tmp_path):
    """Each test its own photo quarantine (uploads waiting for processing), to assert it empties."""
    root = tmp_path / "quarantine"
    settings.PHOTO_QUARANTINE_ROOT = str(root)
    return root


def quarantined(root) -> list[str]:
    return sorted(os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files)


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def grid(db):
    return make_grid(west=120.80, south=30.90)


@pytest.fixture
def other_grid(db):
    return make_grid(west=120.81, south=30.90)


@pytest.fixture
def resident(db):
    return UserFactory(roles=[RESIDENT])


@pytest.fixture
def volunteer_user(db):
    return UserFactory(roles=[RESIDENT, VOLUNTEER])


@pytest.fixture
def dispatcher(db):
    return UserFactory(roles=[DISPATCHER])


@pytest.fixture
def grid_worker(db, grid):
    user = UserFactory(roles=[GRID_WORKER])
    grid.workers.add(user)
    return user


@pytest.fixture
def merchant_staff_user(db):
    return UserFactory(roles=[MERCHANT_STAFF])
