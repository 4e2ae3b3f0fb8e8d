"""Celery tasks (Django ORM + requests): deliver events to customer webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import requests
from celery import shared_task
from django.utils import timezone

from integrations.models import Delivery, Webhook

logger = logging.getLogger(__name__)


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@shared_task(acks_late=True)
def dispatch_event(event_type: str, payload: dict) -> int:
    body = json.dumps({"type": event_type, "data": payload}, separators=(",", ":")).encode()
    delivered = 0
    deliveries = []
    for hook in Webhook.objects.filter(active=True, events__contains=[event_type]):
        try:
            response = requests.post(
                hook.url,
                data=body,
                headers={"Content-Type": "application/json", "X-Signature": signature(hook.secret, body)},
                timeout=(3, 10),
            )
            ok = response.status_code < 400
        except requests.RequestException:
            logger.warning("webhook %s unreachable", hook.pk)
            ok = False
        deliveries.append(Delivery(webhook=hook, event_type=event_type, ok=ok))
        hook.last_attempt_at = timezone.now()
        hook.save(update_fields=["last_attempt_at"])  # expect: RB101
        delivered += ok
    Delivery.objects.bulk_create(deliveries)
    return delivered


@shared_task
def disable_failing_hooks(threshold: int = 20) -> int:
    failing = Webhook.objects.filter(active=True, consecutive_failures__gte=threshold)
    return failing.update(active=False)
