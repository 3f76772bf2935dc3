"""The app's settings, with the URLs of the load-test baseline added (bench/http_load.py)."""

from clinic.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline.urls"
