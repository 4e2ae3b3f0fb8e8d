"""Django ORM: reusable querysets for orders."""

from __future__ import annotations

from django.db import models
from django.db.models import Count, Prefetch, Sum


class OrderQuerySet(models.QuerySet):
    def paid(self):
        return self.filter(status="paid")

    def for_customer(self, customer):
        return self.filter(customer=customer)

    def with_details(self):
        from .models import OrderLine

        lines = OrderLine.objects.select_related("product")
        return self.select_related("customer", "customer__user").prefetch_related(
            Prefetch("lines", queryset=lines), "payments"
        )

    def with_totals(self):
        return self.annotate(line_count=Count("lines"), line_total=Sum("lines__unit_price"))

    def recent(self, days: int = 30):
        from django.utils import timezone

        since = timezone.now() - timezone.timedelta(days=days)
        return self.filter(created_at__gte=since)
