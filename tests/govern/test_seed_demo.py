import pytest
from django.core.management import call_command

from govern.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from govern.models import Community, Grid, User
from govern.selectors import grid_for_point

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_every_account_gets_a_token(api):
    call_command("seed_demo", verbosity=0)
    counts = (User.objects.count(), Community.objects.count(), Grid.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (User.objects.count(), Community.objects.count(), Grid.objects.count()) == counts
    assert counts[1] >= 3 and counts[2] >= 12

    for username in ["admin", *DEMO_ACCOUNTS]:
        response = api.post("/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD}, format="json")
        assert response.status_code == 200, username
        me = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}").json()
        assert me["username"] == username

    grid1, grid2 = User.objects.get(username="grid1"), User.objects.get(username="grid2")
    assert grid1.grids.count() == 1 and grid2.grids.count() == 1
    assert grid1.grids.get() != grid2.grids.get()


def test_demo_grids_tile_the_area_without_gaps():
    call_command("seed_demo", verbosity=0)
    # Sample a lattice over the demo area: every point lies in exactly one grid's polygon interior.
    for i in range(1, 12):
        for j in range(1, 8):
            lat = 30.90 + 0.04 * j / 8
            lng = 120.80 + 0.06 * i / 12
            assert grid_for_point(lat, lng) is not None, (lat, lng)
