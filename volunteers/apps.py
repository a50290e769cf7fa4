from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("volunteers")

    def ready(self) -> None:
        # The kernel's membership port (govern.membership): other apps ask who is an approved volunteer.
        from govern.membership import register_member_lookup
        from volunteers.selectors import approved_member

        register_member_lookup(approved_member)
