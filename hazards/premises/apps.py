from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PremisesConfig(AppConfig):
    """Premises (restaurants, shops, workshops, enterprises), their inspections and sensors.

    A domain package under hazards because everything it finds becomes a hazard; its own app
    label so its tables and migrations stay apart. Dependencies point one way: premises uses
    hazards (categories, hazard_report, dispatch), hazards never imports premises.
    """

    name = "hazards.premises"
    label = "premises"
    verbose_name = _("premises")
