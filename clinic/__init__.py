from typing import Any


# The Celery application (clinic.celery) is created on first use, not with Django: it loads
# celery, kombu, click, yaml and greenlet, about 8 MB in every web worker (issue 16), and a web
# worker needs it only to send a task. The modules that declare tasks import clinic.celery, so
# their @shared_task tasks bind to this application and are sent to its broker; the worker
# (`celery -A clinic`) finds it as clinic.celery.
def __getattr__(name: str) -> Any:
    if name == "celery_app":
        from clinic.celery import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ("celery_app",)
