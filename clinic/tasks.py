"""Webhook deliveries, as Celery tasks (the worker: `celery -A clinic worker -B`).

One task per delivery, or per endpoint for the events of one change, carrying ids only: a slow
receiver holds up only its own tasks. Each task is safe to run twice: clinic.webhooks claims a
delivery before sending it, so a duplicate task finds it not due and does nothing. The sweep
runs every WEBHOOK_SWEEP_SECONDS from the worker's beat (-B).
"""

import logging

from celery import shared_task

from clinic import webhook_sending, webhooks

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
    try:
        for claimed in webhooks.deliveries_claim(delivery_ids=delivery_ids):
            answer = webhook_sending.post(claimed.url, claimed.body, claimed.headers)
            if answer.ok and claimed.endpoint_healthy and answer.status_code is not None:
                delivered.append((claimed.delivery_id, answer.status_code))
                continue
            retry = webhooks.delivery_record(
                delivery_id=claimed.delivery_id, status_code=answer.status_code,
                error=answer.error,
            )  # fmt: skip
            if not answer.ok:
                # Ids, status and our own words only: never the URL or the receiver's body.
                log.info(
                    "webhook attempt failed",
                    extra={"delivery": claimed.delivery_id, "status": answer.status_code,
                           "error": answer.error},
                )  # fmt: skip
            if retry is not None:
                deliver_webhook.apply_async((claimed.delivery_id,), countdown=retry.total_seconds())
    finally:
        # Recorded together (one statement); if this task dies first, they are sent again
        # under the same webhook-id once their lease is out, as at-least-once allows.
        if delivered:
            webhooks.deliveries_delivered(delivered=delivered)


@shared_task(name="clinic.webhooks_sweep")
def webhooks_sweep() -> None:
    for batch in webhooks.deliveries_due():
        deliver_webhooks.delay(batch)
