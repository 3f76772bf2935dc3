"""The app's settings, with the URLs of the load-test baseline added (bench/http_load.py), and
a header naming the worker that served each response, so that the load generator can spread
its keep-alive connections evenly over the workers."""

from clinic.settings import *  # noqa: F403
from clinic.settings import MIDDLEWARE

ROOT_URLCONF = "bench.baseline.urls"
MIDDLEWARE = ["bench.baseline.middleware.served_by", *MIDDLEWARE]
