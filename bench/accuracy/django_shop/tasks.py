"""Celery tasks (Django ORM): receipts, stock sync and the weekly digest."""

from __future__ import annotations

import logging
from decimal import Decimal

import requests
from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Customer, Order, Product

logger = logging.getLogger(__name__)

STOCK_FEED_TIMEOUT = (3.05, 30)


@shared_task(bind=True, max_retries=3)
def send_order_receipts(self, order_ids: list[int]) -> int:
    sent = 0
    for order_id in order_ids:
        order = Order.objects.get(pk=order_id)  # expect: RB102
        send_mail(
            subject=f"Your order {order.number}",
            message=f"Thanks! Total: {order.total}",
            from_email=None,
            recipient_list=[order.customer.email],
        )
        sent += 1
    return sent


@shared_task
def recompute_order_totals(days: int = 1) -> int:
    orders = list(Order.objects.recent(days=days).prefetch_related("lines"))
    for order in orders:
        order.total = sum((line.unit_price * line.quantity for line in order.lines.all()), Decimal("0"))
    Order.objects.bulk_update(orders, ["total"], batch_size=500)
    return len(orders)


@shared_task(autoretry_for=(requests.RequestException,), retry_backoff=True)
def sync_stock(feed_url: str) -> int:
    response = requests.get(feed_url, timeout=STOCK_FEED_TIMEOUT)
    response.raise_for_status()
    rows = response.json()["items"]
    updated = 0
    with transaction.atomic():
        for row in rows:
            updated += Product.objects.filter(sku=row["sku"]).update(stock=row["available"])  # expect: RB102
    logger.info("stock sync updated %s products", updated)
    return updated


@shared_task
def weekly_digest() -> None:
    since = timezone.now() - timezone.timedelta(days=7)
    for customer in Customer.objects.filter(subscribed=True).only("id", "email"):
        recent = customer.orders.filter(created_at__gte=since).count()  # expect: RB101
        if not recent:
            continue
        send_mail(
            subject="Your week at the shop",
            message=f"You placed {recent} orders this week.",
            from_email=None,
            recipient_list=[customer.email],
        )


@shared_task
def archive_cancelled(older_than_days: int = 90) -> int:
    cutoff = timezone.now() - timezone.timedelta(days=older_than_days)
    deleted, _ = Order.objects.filter(status="cancelled", created_at__lt=cutoff).delete()
    return deleted
