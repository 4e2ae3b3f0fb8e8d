"""Django ORM: pricing and coupon services used by the checkout views."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from .models import Order, OrderLine, Product, Setting


@dataclass(frozen=True)
class CartItem:
    sku: str
    quantity: int


def cart_items_from_session(session) -> list[CartItem]:
    return [CartItem(sku=sku, quantity=int(qty)) for sku, qty in session.get("cart", {}).items()]


def priced_cart(items: list[CartItem]) -> list[tuple[CartItem, Decimal]]:
    products = Product.objects.in_bulk([item.sku for item in items], field_name="sku")
    priced = []
    for item in items:
        product = products.get(item.sku)
        if product is None or not product.active:
            continue
        vat = Decimal(Setting.objects.get(key="vat_rate").value)  # expect: RB102, RB304
        priced.append((item, product.price * item.quantity * (1 + vat)))
    return priced


@transaction.atomic
def place_order(customer, items: list[CartItem], number: str) -> Order:
    products = Product.objects.select_for_update().in_bulk([item.sku for item in items], field_name="sku")
    order = Order.objects.create(customer=customer, number=number)
    lines = [
        OrderLine(order=order, product=products[item.sku], quantity=item.quantity,
                  unit_price=products[item.sku].price)
        for item in items
    ]
    OrderLine.objects.bulk_create(lines)
    for line in lines:
        line.product.stock -= line.quantity
    Product.objects.bulk_update([line.product for line in lines], ["stock"])
    order.total = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    order.save(update_fields=["total"])
    return order
