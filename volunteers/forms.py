"""Page forms: they check the shape of the input; the services decide everything else."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govern.models import Community, mainland_mobile_validator
from volunteers import clean
from volunteers.models import Skill, Team

WEEKDAYS = [
    (1, _("Mon")),
    (2, _("Tue")),
    (3, _("Wed")),
    (4, _("Thu")),
    (5, _("Fri")),
    (6, _("Sat")),
    (7, _("Sun")),
]

# Service errors name API fields; map them onto this form's fields.
FIELD_MAP = {"availability": "weekdays", "password": "password1", "community": "community", "team": "team"}


class ApplyForm(forms.Form):
    """The volunteer application. Visitors (`with_account=True`) also choose a username and password."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    real_name = forms.CharField(
        label=_("Real name"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=11,
        validators=[mainland_mobile_validator],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800138000"}),
    )
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Community.objects.order_by("id"), empty_label=_("Choose your community")
    )
    team = forms.ModelChoiceField(
        label=_("Team (optional)"),
        queryset=Team.objects.order_by("community_id", "name"),
        required=False,
        empty_label=_("No team yet"),
    )
    skills = forms.MultipleChoiceField(label=_("Skills"), required=False, widget=forms.CheckboxSelectMultiple)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days you can usually help"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    start = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(label=_("To"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, with_account: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_account = with_account
        if not with_account:
            for name in ("username", "password1", "password2"):
                del self.fields[name]
        self.skill_objects = list(Skill.objects.filter(is_active=True).order_by("id"))
        self.fields["skills"].choices = [(s.slug, s.label) for s in self.skill_objects]
        for skill in self.skill_objects:
            self.fields[f"until_{skill.slug}"] = forms.DateField(
                label=_("Certificate valid until"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

    def skill_rows(self):
        """(skill, checked, expiry bound field) for the template."""
        chosen = set(self["skills"].value() or [])
        return [(skill, skill.slug in chosen, self[f"until_{skill.slug}"]) for skill in self.skill_objects]

    def clean(self):
        data = super().clean()
        if self.with_account and data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        if data.get("weekdays") and not (data.get("start") and data.get("end")):
            self.add_error("start", _("Give the time range for the days you chose."))
        return data

    def claims(self) -> list[clean.SkillClaim]:
        return [clean.SkillClaim(slug, self.cleaned_data.get(f"until_{slug}")) for slug in self.cleaned_data["skills"]]

    def slots(self) -> list[clean.Slot]:
        data = self.cleaned_data
        if not data.get("weekdays"):
            return []
        return [clean.Slot(day, data["start"], data["end"]) for day in data["weekdays"]]


class ServiceRecordForm(forms.Form):
    """Log service done outside dispatch (reviewed by a team leader or a dispatcher)."""

    served_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=1,
        max_value=1440,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 5}),
    )
    note = forms.CharField(label=_("What you did"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["served_on"].initial = timezone.localdate()
        self.fields["served_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["served_on"].widget.attrs["min"] = (timezone.localdate() - dt.timedelta(days=60)).isoformat()


class DecisionForm(forms.Form):
    """Approve or reject (pages without JavaScript post this; with JavaScript the API is used)."""

    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(max_length=500, required=False)


class StandingForm(forms.Form):
    """Suspend or reinstate an approved volunteer from the team page (dispatchers)."""

    decision = forms.ChoiceField(choices=[("suspend", "suspend"), ("reinstate", "reinstate")])
    reason = forms.CharField(max_length=500, required=False)
