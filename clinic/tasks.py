"""Webhook deliveries, as Celery tasks, on a queue of their own (`webhooks`).

Sending is waiting on the network, so these tasks run on a worker of their own with a pool of
threads (the Procfile's `webhooks:`, `-P threads`), never behind the CPU-bound ruleset replays
of the default queue (`worker:`); settings.CELERY_TASK_ROUTES sends them there.

One task per delivery, or per endpoint for the events of one change, carrying ids only; and
at most one task sends to an endpoint at a time (clinic.webhooks claims the endpoint with its
deliveries), so a slow receiver holds one thread and never holds up another endpoint. Each
task is safe to run twice: clinic.webhooks claims a delivery before sending it, so a duplicate
task finds it not due and does nothing. The sweep runs every WEBHOOK_SWEEP_SECONDS from the
beat (-B) of the `worker:` process.
"""

import logging
import time

from celery import shared_task

from clinic import webhook_sending, webhooks
from clinic.celery import app  # noqa: F401 (the tasks below bind to it: see clinic/__init__.py)

log = logging.getLogger(__name__)


@shared_task(name="clinic.deliver_webhook")
def deliver_webhook(delivery_id: int) -> None:
    _deliver([delivery_id])


@shared_task(name="clinic.deliver_webhooks")
def deliver_webhooks(delivery_ids: list[int]) -> None:
    """Several deliveries to one endpoint (the events of one change), one after another."""
    _deliver(delivery_ids)


def _deliver(delivery_ids: list[int]) -> None:
    delivered: list[tuple[int, int]] = []
    claimed = webhooks.deliveries_claim(delivery_ids=delivery_ids)
    # Renew the batch's leases before they could run out under a slow receiver, so that no
    # other task takes its endpoint, or its deliveries, while this one is still sending.
    renew_after = webhooks.CLAIM_LEASE.total_seconds() / 2
    leased_at = time.monotonic()
    try:
        for claim in claimed:
            if time.monotonic() - leased_at > renew_after:
                webhooks.deliveries_renew(delivery_ids=[c.delivery_id for c in claimed])
                leased_at = time.monotonic()
            answer = webhook_sending.post(claim.url, claim.body, claim.headers)
            if answer.ok and claim.endpoint_healthy and answer.status_code is not None:
                delivered.append((claim.delivery_id, answer.status_code))
                continue
            retry = webhooks.delivery_record(
                delivery_id=claim.delivery_id, status_code=answer.status_code,
                error=answer.error,
            )  # fmt: skip
            if not answer.ok:
                # Ids, status and our own words only: never the URL or the receiver's body.
                log.info(
                    "webhook attempt failed",
                    extra={"delivery": claim.delivery_id, "status": answer.status_code,
                           "error": answer.error},
                )  # fmt: skip
            if retry is not None:
                deliver_webhook.apply_async((claim.delivery_id,), countdown=retry.total_seconds())
    finally:
        # Recorded together (one statement); if this task dies first, they are sent again
        # under the same webhook-id once their lease is out, as at-least-once allows.
        if delivered:
            webhooks.deliveries_delivered(delivered=delivered)
    # The endpoint is free again: what waited for it while this task sent goes now, as a task
    # at the back of the queue (so a busy endpoint takes turns with the others).
    for endpoint_id in sorted({c.endpoint_id for c in claimed}):
        waiting = webhooks.deliveries_waiting(endpoint_id=endpoint_id)
        if waiting:
            deliver_webhooks.delay(waiting)


@shared_task(name="clinic.webhooks_sweep")
def webhooks_sweep() -> None:
    for batch in webhooks.deliveries_due():
        deliver_webhooks.delay(batch)
