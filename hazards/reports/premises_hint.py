"""The premises a reporter says their report is about: kept on the report as a hint
(`client_data["premises_hint"]`, never shown publicly) for the dispatcher or grid worker who
decides whether to link it (hazards.premises.linking). Reports sit below the premises register,
so the id is not checked here: the hazard page shows it only if it names a premises its viewer sees.
"""

from __future__ import annotations


def premises_hint(premises_id: int | None) -> dict | None:
    """client_data for a report that names a premises (None when it names none)."""
    return {"premises_hint": int(premises_id)} if premises_id else None
