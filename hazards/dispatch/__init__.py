"""Task dispatch: from a triaged hazard to a verified fix.

- `candidates`: who could go, ranked by estimated time of arrival (index-backed queries).
- `services`: every write of a task — offer, accept, decline, start, complete, verify, cancel.
- `photos`: re-encoding a completed task's after-photos (after the commit).
- `escalation`: the beat job: expired offers re-offered, past-due tasks flagged.
- `timing`: the SLA clock and the service minutes a verified task credits.
- `selectors`: task lists, permission-scoped and constant-query.
- `api`, `filters`, `views`: the REST endpoints and the /tasks/ page.

Lock order: hazard, then its tasks (hazards.core). Hazard statuses move through
`hazards.core.lifecycle.hazard_transition` only.
"""
