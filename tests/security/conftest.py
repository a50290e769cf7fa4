"""Fixtures of the security suite: the demo district as the world every check runs against."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def demo(db):
    """The demo district (accounts, 12 grids, hazards, volunteers, merchants, coupons) via seed_demo."""
    from govern.models import User

    call_command("seed_demo", verbosity=0)
    return {user.username: user for user in User.objects.all()}


@pytest.fixture
def world(demo):
    """The demo district with the security suite's actors and objects (tests.security.world)."""
    from tests.security.world import build

    return build(demo)
