"""The models of the `hazards` app (one app label, one migrations folder), one module a side:

- `hazard`: categories, hazards, their photos, timeline events, triage rules and suggestions;
- `tasks`: tasks, their after-photos and the resident's answer to a fix (imports `hazard`).

This package imports both so that Django finds every model and `hazards.models.X` keeps working.
"""

from hazards.models.hazard import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    SEVERITY_RANK,
    Category,
    Hazard,
    HazardEvent,
    HazardPhoto,
    PhotoFailure,
    PhotoStatus,
    Severity,
    Source,
    Status,
    StoredPhoto,
    SuggestionKind,
    TriageRule,
    TriageSuggestion,
    max_severity,
    photo_constraints,
)
from hazards.models.tasks import (
    BUSY_TASK_STATUSES,
    ENDED_TASK_STATUSES,
    ENGAGED_TASK_Q,
    ENGAGED_TASK_STATUSES,
    LIVE_TASK_Q,
    LIVE_TASK_STATUSES,
    PROOF_FLAGS,
    AssigneeKind,
    FeedbackPhoto,
    FixFeedback,
    Task,
    TaskPhoto,
    TaskStatus,
)

__all__ = [
    "AssigneeKind",
    "BUSY_TASK_STATUSES",
    "Category",
    "ENDED_TASK_STATUSES",
    "ENGAGED_TASK_Q",
    "ENGAGED_TASK_STATUSES",
    "FINAL_STATUSES",
    "FeedbackPhoto",
    "FixFeedback",
    "Hazard",
    "HazardEvent",
    "HazardPhoto",
    "LIVE_TASK_Q",
    "LIVE_TASK_STATUSES",
    "OPEN_STATUSES",
    "PROOF_FLAGS",
    "PhotoFailure",
    "PhotoStatus",
    "SEVERITY_RANK",
    "Severity",
    "Source",
    "Status",
    "StoredPhoto",
    "SuggestionKind",
    "Task",
    "TaskPhoto",
    "TaskStatus",
    "TriageRule",
    "TriageSuggestion",
    "max_severity",
    "photo_constraints",
]
