"""The task list filters (GET /api/v1/tasks/; the office's tasks.csv extends them)."""

from __future__ import annotations

import django_filters

from govern.api_filters import CommaChoiceFilter, CommaIntFilter, StrictBooleanFilter
from hazards.models import Task, TaskStatus


class TaskFilter(django_filters.FilterSet):
    status = CommaChoiceFilter(
        field_name="status",
        values=TaskStatus.values,
        help_text="one or more of: " + ", ".join(TaskStatus.values) + " (comma-separated)",
    )
    grid = CommaIntFilter(field_name="hazard__grid_id", help_text="grid id(s), comma-separated")
    assignee = CommaIntFilter(field_name="assignee_id", help_text="user id(s), comma-separated")
    hazard = CommaIntFilter(field_name="hazard_id", help_text="hazard id(s), comma-separated")
    overdue = StrictBooleanFilter(field_name="overdue", help_text="true: only overdue tasks; false: only tasks on time")

    class Meta:
        model = Task
        fields: list[str] = []
