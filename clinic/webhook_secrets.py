"""Webhook signing secrets: made, shown once, and stored only encrypted.

A secret is 32 random bytes, handed to the clinic admin as `whsec_` + base64 (the Standard
Webhooks form, which `standardwebhooks.Webhook(secret)` reads). The database holds it only as a
Fernet token under a key from the environment (settings.WEBHOOK_SECRET_KEY), so a dump of the
database alone does not let anyone sign a delivery.
"""

import base64
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _fernet() -> "MultiFernet":
    # Imported here, not at the top: cryptography costs a web worker about 6 MB of memory, and
    # this module is loaded with the services that emit events; only the webhook endpoints'
    # create and rotate, and the worker's deliveries, encrypt or decrypt (issue 16).
    from cryptography.fernet import Fernet, MultiFernet

    configured = [k.strip() for k in settings.WEBHOOK_SECRET_KEY.split(",") if k.strip()]
    if configured:
        keys = [Fernet(k) for k in configured]
    else:
        # No dedicated key: derive one from the Django secret key, under a label of its own
        # so that this key is never the same bytes as anything else derived from it.
        digest = hashlib.sha256(b"clinic.webhook_secrets:" + settings.SECRET_KEY.encode())
        keys = [Fernet(base64.urlsafe_b64encode(digest.digest()))]
    return MultiFernet(keys)


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
