"""The report form for browsers without JavaScript (the JS path posts the same fields to the API).

Only shapes are checked here; hazards.reports.services.hazard_report decides everything else.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hazards.core.clean import DESCRIPTION_MAX


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=_("What kind of hazard?"), widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("Describe it"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": DESCRIPTION_MAX}),
    )
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    address = forms.CharField(label=_("Address or landmark (optional)"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("Contact phone (optional)"), max_length=20, required=False)
    contact_consent = forms.BooleanField(label=_("The volunteer who fixes it may call me too"), required=False)
    sms_updates = forms.BooleanField(label=_("Send me SMS updates about this report"), required=False)
    premises = forms.IntegerField(label=_("Registered premises"), required=False, min_value=1, max_value=2**53)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.slug, c.localized_name()) for c in categories]

    def clean(self):
        cleaned = super().clean()
        missing = cleaned.get("latitude") is None or cleaned.get("longitude") is None
        if missing and "latitude" not in self.errors and "longitude" not in self.errors:
            raise forms.ValidationError(_("The location is missing: share your location or place the pin on the map."))
        return cleaned
