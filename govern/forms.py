from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from govern.models import User, mainland_mobile_validator


class SignupForm(UserCreationForm):
    """Resident sign-up: username, password twice, mainland mobile number."""

    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=11,
        validators=[mainland_mobile_validator],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800138000"}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "phone")
