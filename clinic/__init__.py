# Loaded with Django (web and worker alike), so that tasks declared with @shared_task bind to
# this application and are sent to its broker rather than to Celery's unconfigured default.
from clinic.celery import app as celery_app

__all__ = ("celery_app",)
