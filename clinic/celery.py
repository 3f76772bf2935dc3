"""The Celery application of the background worker (`celery -A clinic worker`).

Work that must not hold up a request (ruleset replays, webhook deliveries) is sent to a broker
and run by a worker process of its own (the Procfile's `worker:`). Its settings are the
`CELERY_*` names of clinic/settings.py, so the web and the worker read one configuration from
one environment, and tasks are found in each installed app's `tasks` module.
"""

import os

from celery import Celery

# The worker is started by the `celery` command rather than manage.py, so it must pick the
# same settings module as manage.py and the WSGI entry point do.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
# Read lazily: the settings are loaded only when Celery first needs them, after Django has its
# environment, and only names starting with CELERY_ are taken.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
