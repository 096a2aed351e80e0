"""ICP Portal: lifecycle tracking for DoD International Cooperative Program agreements."""

from .celery import app as celery_app

__all__ = ("celery_app",)
