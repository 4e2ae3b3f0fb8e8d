"""Celery tasks (Django ORM + requests): monthly subscription billing."""

from __future__ import annotations

import logging
import os
from decimal import Decimal

import requests
from celery import shared_task
from django.utils import timezone

from billing.models import Charge, Subscription

logger = logging.getLogger(__name__)

PAYMENTS_API = "https://api.payments.example.com/v2"
API_KEY = os.environ.get("PAYMENTS_API_KEY", "")


@shared_task
def charge_due_subscriptions() -> int:
    today = timezone.localdate()
    due = list(
        Subscription.objects.filter(next_charge_on__lte=today, cancelled=False)
        .select_related("customer")
        .order_by("pk")[:1000]
    )
    charges = []
    for sub in due:
        response = requests.post(  # expect: RB303
            f"{PAYMENTS_API}/charges",
            json={
                "customer": sub.customer.payment_ref,
                "amount": str(sub.monthly_price),
                "idempotency_key": f"{sub.pk}-{today.isoformat()}",
            },
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=15,
        )
        ok = response.ok
        charges.append(Charge(subscription=sub, amount=sub.monthly_price if ok else Decimal(0), ok=ok))
        if ok:
            sub.next_charge_on = today.replace(month=today.month % 12 + 1)
    Charge.objects.bulk_create(charges)
    Subscription.objects.bulk_update(due, ["next_charge_on"])
    logger.info("charged %s of %s subscriptions", sum(c.ok for c in charges), len(due))
    return len(charges)
