"""Who asked for SMS updates of a report without an account: the anonymous reporter's phone, when
they ticked the box on the report form. Registered with govern.notify (kind report_update) in
HazardsConfig.ready; the live event's payload has no phone (it goes to the public tracking topic)."""

from __future__ import annotations

from hazards.models import Hazard


def sms_update_phones(data: dict) -> list[str]:
    code = data.get("tracking_code")
    if not code:
        return []
    return list(
        Hazard.objects.filter(tracking_code=code, sms_updates=True, reporter__isnull=True)
        .exclude(contact_phone="")
        .values_list("contact_phone", flat=True)
    )
