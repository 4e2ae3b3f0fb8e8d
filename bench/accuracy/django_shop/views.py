"""Django views: storefront pages and the customer account area."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Category, Order, Payment, Product


class Echo:
    """A file-like object whose `write` hands the row back, for streaming CSV."""

    def write(self, value):
        return value


@login_required
def order_list(request):
    orders = Order.objects.for_customer(request.user.customer).select_related("customer")
    page = Paginator(orders, 25).get_page(request.GET.get("page"))
    rows = [(order.number, order.customer.email, order.total) for order in page]
    return render(request, "shop/orders.html", {"page": page, "rows": rows})


@login_required
def account_dashboard(request):
    customer = request.user.customer
    open_orders = len(Order.objects.filter(customer=customer, status="new"))  # expect: RB103
    has_payments = Payment.objects.filter(order__customer=customer).exists()
    recent = Order.objects.for_customer(customer).with_totals()[:5]
    return render(
        request,
        "shop/dashboard.html",
        {"open_orders": open_orders, "has_payments": has_payments, "recent": recent},
    )


@login_required
def order_detail(request, number):
    order = get_object_or_404(Order.objects.with_details(), number=number, customer=request.user.customer)
    lines = [
        {"sku": line.product.sku, "name": line.product.name, "quantity": line.quantity}
        for line in order.lines.all()
    ]
    return render(request, "shop/order_detail.html", {"order": order, "lines": lines})


@login_required
def export_orders(request):
    writer = csv.writer(Echo())
    orders = (
        Order.objects.for_customer(request.user.customer)
        .select_related("customer")
        .order_by("created_at")
        .iterator(chunk_size=500)
    )
    rows = (writer.writerow([o.number, o.customer.email, o.status, o.total]) for o in orders)
    response = StreamingHttpResponse(rows, content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="orders.csv"'
    return response


def category_page(request, slug):
    category = get_object_or_404(Category, slug=slug)
    products = category.products.filter(active=True).order_by("name")
    return render(request, "shop/category.html", {"category": category, "products": products})  # expect: RB501


def product_page(request, sku):
    try:
        product = Product.objects.select_related("category").prefetch_related("tags").get(sku=sku, active=True)
    except Product.DoesNotExist as exc:
        raise Http404("no such product") from exc
    tags = [tag.label for tag in product.tags.all()]
    related = Product.objects.filter(category=product.category, active=True).exclude(pk=product.pk)[:8]
    return render(request, "shop/product.html", {"product": product, "tags": tags, "related": related})
