"""The models of the `premises` app (one app label, one migrations folder), one module a topic:

- `register`: premises types, premises, and the hazards linked to them;
- `alerts`: enterprise sensor keys, sensors, alert rules and the alert history;
- `campaigns`: checklists, inspection campaigns, assignments, inspections and their results.

The modules import `register` and nothing of each other; this package imports all three so that
Django finds every model of the app.
"""

from hazards.premises.models.alerts import AlertDirection, AlertEvent, AlertKind, AlertRule, EnterpriseKey, Sensor
from hazards.premises.models.campaigns import (
    Campaign,
    CampaignPremises,
    CampaignStatus,
    Checklist,
    ChecklistItem,
    Inspection,
    InspectionResult,
    Outcome,
    VisitStatus,
)
from hazards.premises.models.register import HazardOrigin, Premises, PremisesHazard, PremisesType

__all__ = [
    "AlertDirection",
    "AlertEvent",
    "AlertKind",
    "AlertRule",
    "Campaign",
    "CampaignPremises",
    "CampaignStatus",
    "Checklist",
    "ChecklistItem",
    "EnterpriseKey",
    "HazardOrigin",
    "Inspection",
    "InspectionResult",
    "Outcome",
    "Premises",
    "PremisesHazard",
    "PremisesType",
    "Sensor",
    "VisitStatus",
]
