"""Django REST framework serializers for the shop API."""

from __future__ import annotations

from rest_framework import serializers

from .models import Customer, Invoice, Order, OrderLine, Product


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["sku", "quantity", "unit_price"]


class OrderSerializer(serializers.ModelSerializer):
    # The viewset loads lines with their products and the customer in the same queries.
    lines = OrderLineSerializer(many=True, read_only=True)
    customer_email = serializers.EmailField(source="customer.email", read_only=True)
    paid = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["number", "status", "created_at", "total", "customer_email", "lines", "paid"]

    def get_paid(self, order) -> bool:
        # `payments` is prefetched by OrderQuerySet.with_details().
        return any(payment.captured for payment in order.payments.all())


class ProductSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="label")

    class Meta:
        model = Product
        fields = ["sku", "name", "price", "stock", "category", "tags"]


class CustomerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Customer
        fields = ["id", "username", "email", "country", "subscribed"]


class InvoiceSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number")

    class Meta:
        model = Invoice
        fields = ["order_number", "issued_at", "pdf_path"]

    def validate_pdf_path(self, value: str) -> str:
        if not value.endswith(".pdf"):
            raise serializers.ValidationError("invoices are stored as PDF")
        return value
