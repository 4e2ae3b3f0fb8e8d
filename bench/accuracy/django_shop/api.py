"""Django REST framework: the shop's JSON API."""

from __future__ import annotations

from django.db.models import Count
from rest_framework import generics, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Customer, Invoice, Order, Product
from .serializers import CustomerSerializer, InvoiceSerializer, OrderSerializer, ProductSerializer


class OrderCursor(CursorPagination):
    page_size = 50
    ordering = "-created_at"


class StandardPages(PageNumberPagination):
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"


class OrderViewSet(viewsets.ModelViewSet):
    serializer_class = OrderSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = OrderCursor

    def get_queryset(self):
        return Order.objects.for_customer(self.request.user.customer).with_details()

    @action(detail=False, methods=["get"])
    def recent(self, request):
        orders = self.get_queryset().recent(days=7)[:20]
        return Response(self.get_serializer(orders, many=True).data)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        order.status = "cancelled"
        order.save(update_fields=["status"])
        return Response({"status": order.status})


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProductSerializer
    pagination_class = StandardPages
    queryset = Product.objects.filter(active=True).select_related("category").prefetch_related("tags")
    lookup_field = "sku"


class InvoiceExportView(APIView):
    permission_classes = [permissions.IsAdminUser]

    def get(self, request):
        invoices = Invoice.objects.select_related("order").filter(issued_at__year=request.GET.get("year"))
        return Response(InvoiceSerializer(invoices, many=True).data)  # expect: RB501


class CustomerListView(generics.ListAPIView):
    serializer_class = CustomerSerializer
    permission_classes = [permissions.IsAdminUser]
    pagination_class = None  # expect: RB501

    def get_queryset(self):
        return Customer.objects.select_related("user").order_by("email")


class OrderStatsView(APIView):
    permission_classes = [permissions.IsAdminUser]

    def get(self, request):
        by_status = Order.objects.values("status").annotate(n=Count("id")).order_by("status")
        counts = {row["status"]: row["n"] for row in by_status}
        return Response({"counts": counts, "paid": Order.objects.paid().count()})
