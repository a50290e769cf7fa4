"""Filters of the exports that the apps do not already define (hazards.csv uses
hazards.reports.filters.HazardFilter; tasks.csv extends the task API's filter with a date range)."""

from __future__ import annotations

import django_filters

from govern.api_filters import CommaChoiceFilter, CommaIntFilter, DateFilter, IsoDateTimeFilter
from hazards.dispatch.filters import TaskFilter
from rewards.models import EntryKind, PointsEntry
from volunteers.models import ServiceRecord, ServiceRecordSource, ServiceRecordStatus


class ServiceRecordFilter(django_filters.FilterSet):
    served_after = DateFilter(field_name="served_on", lookup_expr="gte")
    served_before = DateFilter(field_name="served_on", lookup_expr="lte")
    status = CommaChoiceFilter(field_name="status", values=ServiceRecordStatus.values)
    source = CommaChoiceFilter(field_name="source", values=ServiceRecordSource.values)
    community = CommaIntFilter(field_name="volunteer__community_id")
    team = CommaIntFilter(field_name="team_id")
    volunteer = CommaIntFilter(field_name="volunteer_id")

    class Meta:
        model = ServiceRecord
        fields: list[str] = []


class LedgerFilter(django_filters.FilterSet):
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    kind = CommaChoiceFilter(field_name="kind", values=EntryKind.values)
    user = CommaIntFilter(field_name="account__user_id")
    source_type = django_filters.CharFilter(field_name="source_type")

    class Meta:
        model = PointsEntry
        fields: list[str] = []


class TaskExportFilter(TaskFilter):
    """The API's task filter (status, grid, assignee, hazard, overdue) plus a community and the
    period the task was offered in (ISO date or date-time; after inclusive, before exclusive)."""

    community = CommaIntFilter(field_name="hazard__community_id")
    offered_after = IsoDateTimeFilter(field_name="offered_at", lookup_expr="gte")
    offered_before = IsoDateTimeFilter(field_name="offered_at", lookup_expr="lt")

    class Meta(TaskFilter.Meta):
        fields: list[str] = []
