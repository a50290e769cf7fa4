from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "hazards"
    verbose_name = _("hazards")

    def ready(self):
        # The offer ladder asks dispatch whether an offer is still open (govern.notify.delivery).
        from govern.notify.delivery import register_check, register_listener
        from hazards.dispatch.notify import offer_open, offer_step_done

        register_check("offer_open", offer_open)
        # The board shows how each offer reached its person.
        register_listener("offer_received", offer_step_done)

        # An anonymous reporter who asked for SMS updates hears of the report's status changes.
        from govern.notify.record import register_phones
        from hazards.reports.sms_updates import sms_update_phones

        register_phones("report_update", sms_update_phones)
