"""Django's own messages that its bundled Chinese catalogue does not translate yet, carried in the
project's catalogue instead (`make messages` extracts them from here; the Chinese is in
locale/translations/govern.json). Django 5.2 reworded the password-length message and its zh_Hans
catalogue still has the old wording, so a resident signing up read English."""

from django.utils.translation import ngettext_lazy

MESSAGES = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
]
