"""The peer: the same intake job as a competent team would ship it with plain DRF, without the
project's guarantees (no audit, no idempotency, no change feed, no referrals). A Django project
of its own, with its own database; bench/http_load.py serves it beside the API and measures
both the same way. Nothing here is part of the app, and the app's settings never name it.
"""
