import json

import requests
from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from shop.models import Order, Product

CARRIER_URL = "https://carrier.example.com/api/v2/shipments"


@require_GET
def order_detail(request, order_id):
    order = Order.objects.select_related("customer").get(pk=order_id)
    return JsonResponse({"id": order.id, "customer": order.customer.name, "status": order.status})


@require_GET
def order_dashboard(request):
    orders = Order.objects.filter(status="shipped")
    rows = []
    for order in orders:
        rows.append(
            {
                "id": order.id,
                "customer": order.customer.name,
                "lines": order.lines.count(),
            }
        )
    return JsonResponse({"orders": rows, "total": len(orders)})


@require_GET
def product_list(request):
    products = Product.objects.all()[:50]
    return JsonResponse({"products": [{"sku": p.sku, "title": p.title} for p in products]})


def refresh_tracking(request):
    shipped = Order.objects.filter(status="shipped").only("id", "tracking_number")
    for order in shipped:
        response = requests.get(f"{CARRIER_URL}/{order.tracking_number}")
        order.status = response.json()["status"]
        order.save(update_fields=["status"])
    return JsonResponse({"updated": len(shipped)})


def import_prices(request):
    upload = request.FILES["prices"]
    prices = json.loads(upload.read())
    for sku, price in prices.items():
        Product.objects.filter(sku=sku).update(price_cents=price)
    cache.set("price-import:last", len(prices), None)
    return JsonResponse({"imported": len(prices)})
