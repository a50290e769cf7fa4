"""Gauges the hazards app adds to /metrics (govern.metrics)."""

from __future__ import annotations

from django.apps import apps

from govern.metrics import register_gauge


def _photos_processing() -> dict[str, int]:
    """Photos uploaded and waiting for a worker to re-encode them, per table (hazard, task)."""
    from hazards.models import PhotoStatus, StoredPhoto

    return {
        model._meta.model_name: model.objects.filter(status=PhotoStatus.PROCESSING).count()
        for model in apps.get_models()
        if issubclass(model, StoredPhoto)
    }


register_gauge(
    "govern_photos_processing", "Photos waiting to be processed by a worker", _photos_processing, label="table"
)
