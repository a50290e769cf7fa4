from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernConfig(AppConfig):
    name = "govern"
    verbose_name = _("Governance kernel")

    def ready(self):
        from govern.media import quarantine  # noqa: F401 - registers the quarantine check
