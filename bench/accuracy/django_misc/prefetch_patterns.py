"""Django ORM: order summaries built from prefetched data for the account pages."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Prefetch, prefetch_related_objects

from orders.models import Order, OrderLine


def order_cards(customer) -> list[dict]:
    lines = OrderLine.objects.select_related("product").order_by("position")
    orders = (
        Order.objects.filter(customer=customer)
        .select_related("shipping_address")
        .prefetch_related(Prefetch("lines", queryset=lines, to_attr="ordered_lines"))
        .order_by("-created_at")[:20]
    )
    cards = []
    for order in orders:
        cards.append(
            {
                "number": order.number,
                "ship_to": order.shipping_address.city,
                "items": [(line.product.name, line.quantity) for line in order.ordered_lines],
            }
        )
    return cards


def attach_lines(orders: list[Order]) -> list[Order]:
    prefetch_related_objects(orders, "lines__product")
    for order in orders:
        order.skus = [line.product.sku for line in order.lines.all()]
    return orders


def revenue_by_customer(since) -> dict[int, float]:
    totals: dict[int, float] = defaultdict(float)
    for row in Order.objects.filter(created_at__gte=since).values("customer_id", "total").iterator():
        totals[row["customer_id"]] += float(row["total"])
    return dict(totals)


def line_owner_ids(order: Order) -> set[int]:
    # `line.order` is the parent the lines were loaded through: no extra query.
    return {line.order.customer_id for line in order.lines.all()}


def customers_of(orders) -> set[int]:
    return {order.customer_id for order in orders}


def skus_and_names(since) -> list[tuple[str, str]]:
    return list(
        OrderLine.objects.filter(order__created_at__gte=since)
        .values_list("product__sku", "product__name")
        .distinct()[:1000]
    )
