"""The practical ceiling for the HTTP load test: the app's URLs plus two bare Django views.

Served only by `bench/http_load.py` (DJANGO_SETTINGS_MODULE=bench.baseline.settings); nothing
here is part of the app's own URLs.
"""
