"""The /tasks/ page: login, my open tasks by due time, the history, the live fragment, queries."""

from __future__ import annotations

import pytest

from hazards.dispatch import services

pytestmark = pytest.mark.django_db


def test_login_required(client):
    response = client.get("/tasks/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_open_tasks_history_and_fragment(client, triaged, boss, grid_worker, django_assert_max_num_queries):
    from django.test import Client

    for _ in range(2):
        services.task_dispatch(hazard_id=triaged().pk, actor=boss, assignee_id=grid_worker.pk)
    page = Client()
    page.force_login(grid_worker)
    with django_assert_max_num_queries(12):
        html = page.get("/tasks/").content.decode()
    assert html.count('class="card tk-card tk-offered') == 2 and 'data-action="accept"' in html
    assert "js/hazards/tasks.js" in html and 'data-last-event-id="' in html
    for _ in range(6):
        services.task_dispatch(hazard_id=triaged().pk, actor=boss, assignee_id=grid_worker.pk)
    with django_assert_max_num_queries(12):
        html = page.get("/tasks/").content.decode()
    assert html.count('class="card tk-card tk-offered') == 8
    first = grid_worker.hazard_tasks.order_by("pk").first()
    services.task_decline(task_id=first.pk, actor=grid_worker, reason="不在")
    fragment = page.get("/tasks/?fragment=lists").content.decode()
    assert "<html" not in fragment and fragment.count('class="card tk-card tk-offered') == 7
    assert 'id="task-history"' in fragment and first.hazard.tracking_code in fragment
