"""The form of the premises register's own page (register one, correct one): what a dispatcher
types, as the services take it. The checks are the services' (hazards.premises.clean); this form
only turns text into the values they expect (numbers, a type slug, an account id)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govern.models import User
from hazards.premises.models import Premises
from hazards.premises.selectors import premises_types

TEXT = ("code", "name", "address", "street", "contact_name", "contact_phone", "responsible_name", "responsible_phone")
# The service's field names that this form calls otherwise.
SERVICE_FIELDS = {"responsible_user": "responsible_account"}


def _label(name: str):
    return Premises._meta.get_field(name).verbose_name


class PremisesForm(forms.Form):
    code = forms.CharField(label=_label("code"), max_length=40)
    name = forms.CharField(label=_label("name"), max_length=120)
    type = forms.ChoiceField(label=_label("type"))
    address = forms.CharField(label=_label("address"), max_length=200)
    street = forms.CharField(label=_label("street"), max_length=80, required=False)
    latitude = forms.FloatField(label=_label("latitude"), min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_label("longitude"), min_value=-180, max_value=180)
    contact_name = forms.CharField(label=_label("contact_name"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_label("contact_phone"), max_length=20, required=False)
    responsible_name = forms.CharField(label=_label("responsible_name"), max_length=60)
    responsible_phone = forms.CharField(label=_label("responsible_phone"), max_length=13, required=False)
    responsible_account = forms.CharField(
        label=_label("responsible_user"),
        max_length=150,
        required=False,
        help_text=gettext_lazy(
            "Their account's username, if they have one: they then follow this place's hazards live."
        ),
    )
    active = forms.BooleanField(label=_label("active"), required=False, initial=True)
    notes = forms.CharField(
        label=_label("notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [(t.slug, t.localized_name()) for t in premises_types()]

    @classmethod
    def initial_for(cls, premises: Premises) -> dict:
        values = {name: getattr(premises, name) for name in (*TEXT, "latitude", "longitude", "active", "notes")}
        values["type"] = premises.type.slug
        values["responsible_account"] = premises.responsible_user.username if premises.responsible_user else ""
        return values

    def clean_responsible_account(self) -> int | None:
        username = self.cleaned_data["responsible_account"].strip()
        if not username:
            return None
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("responsible_user: no active account named %(u)s.") % {"u": username})
        return user.pk

    def service_values(self) -> dict:
        """The cleaned values under the services' names."""
        values = dict(self.cleaned_data)
        values["responsible_user"] = values.pop("responsible_account")
        return values
