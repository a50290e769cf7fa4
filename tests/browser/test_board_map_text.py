"""A volunteer's name is their own input: on the dispatcher's board map it shows in the marker's
tooltip as text, never as markup (Leaflet puts a string tooltip into innerHTML). In headless
Chromium: a responder named like an image tag, on duty, hovered on the map."""

from __future__ import annotations

import pytest

from govern.roles import DISPATCHER, VOLUNTEER
from tests.browser.harness import login, wait_until
from tests.factories import UserFactory, make_grid
from volunteers.duty import volunteer_duty_set
from volunteers.models import Volunteer, VolunteerStatus

pytestmark = pytest.mark.browser

NAME = "<img src=x id=injected onerror=alert(1)>"


def test_a_volunteer_named_like_markup_shows_as_text_in_the_map_tooltip(asgi_live_server, desktop_context):
    grid = make_grid(west=120.80, south=30.90)
    UserFactory(username="duty", roles=[DISPATCHER])
    helper = UserFactory(username="tagname", roles=[VOLUNTEER])
    Volunteer.objects.create(
        user=helper, real_name=NAME, phone="13900002222", community=grid.community, status=VolunteerStatus.APPROVED
    )
    asgi_live_server.call(volunteer_duty_set, actor=helper, on_duty=True, latitude=30.905, longitude=120.805)

    board = desktop_context.new_page()
    dialogs = []
    board.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(board, asgi_live_server.url, "duty", "pw-govern-test")
    board.goto(asgi_live_server.url + "/office/")
    wait_until(board, "document.querySelectorAll('#office-map path.leaflet-interactive').length > 0", timeout=10_000)

    marker = board.locator("#office-map path.leaflet-interactive").first
    marker.hover(force=True)
    tooltip = board.locator("#office-map .leaflet-tooltip:not(.hz-grid-label)")  # grids have permanent labels
    tooltip.wait_for(timeout=10_000)
    assert tooltip.inner_text().strip() == NAME  # the characters themselves, shown
    assert tooltip.locator("img").count() == 0
    assert board.evaluate(
        "document.getElementById('injected') === null && document.querySelectorAll('img[src=x]').length === 0"
    )
    assert not dialogs
