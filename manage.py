#!/usr/bin/env python
"""Django's command-line utility for govern."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govern.settings")
    # A bare checkout (neither DJANGO_DEBUG nor DJANGO_SECRET_KEY set) is a developer's: let
    # manage.py commands such as makemigrations run there. A deployment sets the key, so this
    # never applies to it; the ASGI/WSGI/Celery entry points still refuse to start without one.
    if "DJANGO_DEBUG" not in os.environ and "DJANGO_SECRET_KEY" not in os.environ:
        os.environ["DJANGO_DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
