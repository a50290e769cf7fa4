"""govern: the kernel (geography, roles, live events) and the project wiring."""

from .celery import app as celery_app

__all__ = ("celery_app",)
