"""Django admin: order administration with bulk actions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from orders.models import Order, Shipment


@admin.action(description="Mark selected orders as shipped")
def mark_shipped(modeladmin, request, queryset):
    now = timezone.now()
    updated = queryset.filter(status="paid").update(status="shipped", shipped_at=now)
    modeladmin.message_user(request, f"{updated} orders marked as shipped", messages.SUCCESS)


@admin.action(description="Create shipments for selected orders")
def create_shipments(modeladmin, request, queryset):
    shipments = [Shipment(order=order, carrier=order.carrier_code) for order in queryset]
    Shipment.objects.bulk_create(shipments, ignore_conflicts=True)


@admin.action(description="Recalculate totals")
def recalculate_totals(modeladmin, request, queryset):
    for order in queryset:
        order.total = order.compute_total()
        order.save(update_fields=["total"])  # expect: RB101


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "status", "total", "created_at")
    list_select_related = ("customer",)
    list_filter = ("status",)
    search_fields = ("number", "customer__email")
    actions = [mark_shipped, create_shipments, recalculate_totals]
    raw_id_fields = ("customer",)

    @admin.display(description="Customer")
    def customer_email(self, obj):
        return obj.customer.email
