"""The peer's settings as bench/http_load.py serves them: unchanged, plus the header naming
the worker that served each response (as bench.baseline.settings adds it to ours), so that
the load generator spreads its keep-alive connections evenly over the workers."""

from bench.peer.settings import *  # noqa: F403
from bench.peer.settings import MIDDLEWARE

MIDDLEWARE = ["bench.baseline.middleware.served_by", *MIDDLEWARE]
