from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernConfig(AppConfig):
    name = "govern"
    verbose_name = _("Governance kernel")

    def ready(self):
        # Registers govern's Prometheus gauges and the quarantine check; after migrate, a restored
        # database starts a new epoch.
        from govern import live_epoch, metrics, token_signals  # noqa: F401
        from govern.media import quarantine  # noqa: F401
